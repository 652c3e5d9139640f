"""The contract between the replica's site model and its HTTP server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass
class Response:
    """One answer of the replica site, before the server adds faults, the WAF and conditional GET."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Site(Protocol):
    """What the HTTP server needs from a site model."""

    def handle(self, path: str, query: dict[str, list[str]]) -> Response:
        """Answer a GET for `path` (no query string) with its parsed query parameters."""
        ...

    def clock(self) -> datetime:
        """The site's simulated 'now' (timezone-aware), used for the Date header."""
        ...
