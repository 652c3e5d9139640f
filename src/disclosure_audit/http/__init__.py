"""The polite HTTP client that fetches the audited sites, and its anti-bot (加速乐) challenge solver."""

from disclosure_audit.http.client import USER_AGENT, ClientStats, FetchResult, PoliteClient
from disclosure_audit.http.errors import (
    ChallengeError,
    ClientError,
    DisallowedByRobots,
    FetchError,
    OffSiteURL,
    ResponseTooLarge,
)
from disclosure_audit.http.waf import solve_challenge

__all__ = [
    "USER_AGENT",
    "ChallengeError",
    "ClientError",
    "ClientStats",
    "DisallowedByRobots",
    "FetchError",
    "FetchResult",
    "OffSiteURL",
    "PoliteClient",
    "ResponseTooLarge",
    "solve_challenge",
]
