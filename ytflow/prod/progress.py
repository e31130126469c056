"""A cluster operation's progress while ytflow waits: jobs completed, running and failed.

On a terminal one line updates in place (rich, as dev's progress); elsewhere (CI, a log file)
a log line is written when the counters change, at most every ``LOG_EVERY_SECONDS``, so a long
operation leaves a readable trail instead of thousands of lines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

from ytflow.terminal import start_live_line

_logger = logging.getLogger("ytflow.operations")
LOG_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class JobCounts:
    """An operation's job counters, as ``get_operation``'s ``brief_progress/jobs`` has them."""

    total: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    aborted: int = 0

    @classmethod
    def from_progress(cls, jobs: Mapping[str, Any] | None) -> JobCounts:
        """Read YT's counters (a missing or non-numeric one counts as 0)."""
        jobs = jobs or {}

        def number(key: str) -> int:
            value: Any = jobs.get(key, 0)
            if isinstance(value, Mapping):  # some YT versions nest {total: N, details: ...}
                value = cast(Mapping[str, Any], value).get("total", 0)
            return int(value) if isinstance(value, int | float) else 0

        return cls(
            total=number("total"),
            running=number("running"),
            completed=number("completed"),
            failed=number("failed"),
            aborted=number("aborted"),
        )

    def text(self) -> str:
        """``jobs 3/10 completed, 2 running, 1 failed``."""
        text = f"jobs {self.completed}/{self.total} completed, {self.running} running"
        if self.failed:
            text += f", {self.failed} failed"
        return text


class ProdProgress:
    """Shows ``title``'s job counters as ``update`` receives them."""

    def __init__(self, title: str, url: str) -> None:
        self.title = title
        self.url = url
        self.counts = JobCounts()
        self.state = "starting"
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._logged: tuple[JobCounts, str] | None = None
        self._logged_at = 0.0
        self._live: Any = None

    def update(self, state: str, counts: JobCounts) -> None:
        """New counters from a poll of the operation."""
        with self._lock:
            self.state, self.counts = state, counts
        if self._live is not None:
            return
        now = time.monotonic()
        if (counts, state) != self._logged and now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged, self._logged_at = (counts, state), now
            _logger.info("%s: %s, %s", self.title, state, counts.text())

    def __enter__(self) -> ProdProgress:
        _logger.info("%s: operation %s", self.title, self.url)
        self._live = start_live_line(self._line, refresh_per_second=4)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _line(self) -> Any:
        from rich.text import Text  # noqa: PLC0415

        with self._lock:
            state, counts = self.state, self.counts
        seconds = time.monotonic() - self._started
        return Text(f"{self.title}: {state}, {counts.text()}, {seconds:.0f}s", style="cyan")
