"""The one error the parsers raise: input they cannot read at all, with what was wrong and where."""

from __future__ import annotations

from disclosure_audit.errors import DisclosureAuditError


class ParseError(DisclosureAuditError):
    """A page or text the parsers cannot read at all (not merely one with missing fields).

    `what` says what was wrong, `where` names the input (a URL or a file name) so a crawl log
    points at the page to look at.
    """

    def __init__(self, what: str, where: str | None = None) -> None:
        self.what = what
        self.where = where
        super().__init__(f"{what} ({where})" if where else what)
