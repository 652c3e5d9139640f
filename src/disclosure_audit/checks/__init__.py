"""The checks: rule facts, Great Expectations suites, link checks, findings."""
