"""Minimal progress display on stderr (one updating line per task)."""
from __future__ import annotations

import sys
import time


class Progress:
    """Print ``label: done/total (pct) elapsed`` on one line, updated at most 5 times a second.

    Parameters
    ----------
    label : str
    total : int
    enabled : bool
        ``False`` (``--quiet``) makes every call a no-op.
    """

    def __init__(self, label: str, total: int, enabled: bool = True, stream=None):
        self.label = label
        self.total = max(int(total), 1)
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self._last = 0.0
        self._interactive = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self._last < (0.2 if self._interactive else 5.0):
            return
        self._last = now
        text = f"{self.label}: {done:,}/{self.total:,} ({100 * done / self.total:.0f}%) {now - self.start:.1f} s"
        end = "\r" if self._interactive and done < self.total else "\n"
        print(text.ljust(70), end=end, file=self.stream, flush=True)


def say(message: str, enabled: bool = True) -> None:
    """Print a status line to stderr unless quiet."""
    if enabled:
        print(message, file=sys.stderr, flush=True)
