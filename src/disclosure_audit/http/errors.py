"""The errors of the polite HTTP client and its anti-bot challenge solver."""

from __future__ import annotations

from collections.abc import Iterable

from disclosure_audit.errors import DisclosureAuditError


class ClientError(DisclosureAuditError):
    """Base of every error the HTTP client raises on purpose."""


class FetchError(ClientError):
    """A URL could not be fetched: retries ran out, or the failure is one no retry can fix."""

    def __init__(self, url: str, reason: str, attempts: int = 0, last_status: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.attempts = attempts
        self.last_status = last_status
        found = f"last answer HTTP {last_status}" if last_status is not None else "no HTTP answer"
        super().__init__(
            f"Could not fetch {url}: {reason} ({attempts} attempt{'s' if attempts != 1 else ''}, {found}). "
            "Expected a complete HTTP answer that is not a transient error; check that the site is up "
            "and reachable, or retry later."
        )


class ResponseTooLarge(FetchError):
    """The body is larger than the client's `max_bytes`; not retried, the next answer would be as large."""


class ChallengeError(ClientError):
    """The anti-bot (加速乐) challenge page's script could not be run to a clearance cookie."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"Could not pass the anti-bot challenge of {url}: {reason}. Expected the page's <script> "
            "to set a clearance cookie in the sandboxed JS engine; the site may have changed its "
            "challenge, so save the page and compare it with the one the solver handles."
        )


class DisallowedByRobots(ClientError):
    """robots.txt forbids the URL to our User-Agent (or could not be read); it was not fetched."""

    def __init__(self, url: str, robots_url: str, user_agent: str, detail: str = "") -> None:
        self.url = url
        self.robots_url = robots_url
        self.user_agent = user_agent
        why = detail or f"{robots_url} disallows it for User-Agent {user_agent!r}"
        super().__init__(f"Did not fetch {url}: {why}. The audit only reads what robots.txt allows.")


class OffSiteURL(ClientError):
    """A URL (asked for, or a redirect's target) is not on one of the configured site hosts."""

    def __init__(self, url: str, allowed_hosts: Iterable[str], via: str | None = None) -> None:
        self.url = url
        self.allowed_hosts = sorted(allowed_hosts)
        self.via = via
        where = f" (redirected from {via})" if via else ""
        super().__init__(
            f"Did not fetch {url}{where}: its host is not one of the site's hosts "
            f"{', '.join(self.allowed_hosts) or '(none configured)'}. If it really belongs to the "
            "site, name it under hosts in the site file (allowed_hosts of the client)."
        )
