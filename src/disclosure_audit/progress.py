"""Progress lines for long work: a live bar on a terminal, a line every tenth of the way in logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts done/total for one phase and shows it without flooding logs.

    On a terminal it redraws one line; elsewhere (CI, Airflow task logs) it prints a line at
    each tenth of the total and at the end.
    """

    def __init__(self, label: str, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last_tenth = -1
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw > 0.1 or self.done >= self.total:
                self._last_draw = now
                self.stream.write("\r" + self._line(now))
                self.stream.flush()
            return
        tenth = self.done * 10 // self.total if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self._line(now) + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\r" + self._line(time.monotonic()) + "\n")
            self.stream.flush()

    def _line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            width = 24
            filled = width * self.done // self.total
            bar = "█" * filled + "·" * (width - filled)
            return f"{self.label} [{bar}] {self.done}/{self.total} ({100 * self.done // self.total}%) {rate:.1f}/s"
        return f"{self.label} {self.done} {rate:.1f}/s"
