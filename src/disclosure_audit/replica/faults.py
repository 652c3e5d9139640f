"""Seeded, reproducible misbehaviour for the replica server: which request faults, how, and rate limits."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# The kinds of seeded fault, in the order the server tries them; the names are also the stats keys.
FAULT_KINDS: tuple[str, ...] = ("reset", "truncate", "5xx", "429", "slow")
ERROR_STATUSES: tuple[int, ...] = (500, 502, 503)


def draw(seed: int, kind: str, url: str, n: int) -> float:
    """A number in [0, 1) fixed by its arguments, so a fault decision never depends on thread timing."""
    digest = hashlib.sha256(f"{seed}\x1f{kind}\x1f{url}\x1f{n}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class FaultDecision:
    """What the server must do wrong to one request; at most one of reset/truncate/error/throttle is set."""

    reset: bool = False
    truncate: bool = False
    error_status: int | None = None
    throttle: bool = False
    slow_seconds: float = 0.0

    @property
    def faulted(self) -> bool:
        failed = self.reset or self.truncate or self.error_status is not None or self.throttle
        return failed or self.slow_seconds > 0


NO_FAULT = FaultDecision()


class FaultPlan:
    """Decides the faults of the n-th request for a (method, url) from a hash of (seed, kind, url, n).

    Keyed per URL rather than globally, so a client's retry sequence for one URL misbehaves the same way
    whatever other URLs are fetched concurrently. After `max_consecutive` faulted requests in a row for
    one URL the next one is always clean, so a client that retries enough always gets through.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        reset_rate: float = 0.0,
        truncate_rate: float = 0.0,
        error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 0.0,
        max_consecutive: int = 3,
    ) -> None:
        self.seed = seed
        self.rates: dict[str, float] = {
            "reset": reset_rate,
            "truncate": truncate_rate,
            "5xx": error_rate,
            "429": throttle_rate,
            "slow": slow_rate,
        }
        self.slow_seconds = slow_seconds
        self.max_consecutive = max_consecutive
        self._lock = threading.Lock()
        # Unbounded on purpose: forgetting a URL's count would break the per-URL determinism; one int
        # pair per URL stays small even for a crawl of a few hundred thousand pages.
        self._seen: dict[tuple[str, str], int] = {}
        self._consecutive: dict[tuple[str, str], int] = {}

    @property
    def active(self) -> bool:
        return self.max_consecutive > 0 and any(rate > 0 for rate in self.rates.values())

    def _hits(self, kind: str, url: str, n: int) -> bool:
        rate = self.rates[kind]
        return rate > 0 and draw(self.seed, kind, url, n) < rate

    def decide(self, method: str, url: str) -> FaultDecision:
        """The faults for the next request of `method` on `url` (path plus raw query)."""
        if not self.active:
            return NO_FAULT
        key = (method, url)
        with self._lock:
            n = self._seen.get(key, 0)
            self._seen[key] = n + 1
            if self._consecutive.get(key, 0) >= self.max_consecutive:
                self._consecutive[key] = 0
                return NO_FAULT
            # The hashes include the method so GET and HEAD of one URL are independent sequences.
            target = f"{method} {url}"
            decision = self._decide(target, n)
            self._consecutive[key] = self._consecutive.get(key, 0) + 1 if decision.faulted else 0
            return decision

    def _decide(self, target: str, n: int) -> FaultDecision:
        slow = self.slow_seconds if self._hits("slow", target, n) else 0.0
        if self._hits("reset", target, n):
            return FaultDecision(reset=True, slow_seconds=slow)
        if self._hits("truncate", target, n):
            return FaultDecision(truncate=True, slow_seconds=slow)
        if self._hits("5xx", target, n):
            pick = int(draw(self.seed, "5xx-status", target, n) * len(ERROR_STATUSES))
            return FaultDecision(error_status=ERROR_STATUSES[pick], slow_seconds=slow)
        if self._hits("429", target, n):
            return FaultDecision(throttle=True, slow_seconds=slow)
        return FaultDecision(slow_seconds=slow)


class RateLimiter:
    """A token bucket per client address: `per_second` refill, `burst` capacity."""

    def __init__(
        self,
        per_second: float,
        burst: float | None = None,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        # A bucket smaller than one token would refuse everything.
        self.burst = max(1.0, float(burst) if burst is not None else float(math.ceil(per_second)))
        self.max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str) -> bool:
        """Take one token from `client`'s bucket; False when it is empty."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            # Bounded so a scan from many addresses cannot grow memory; the evicted start over full.
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return allowed
