"""disclosure-audit: audits Chinese government information-disclosure websites (政府信息公开)."""

__version__ = "0.1.0"
