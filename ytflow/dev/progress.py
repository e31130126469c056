"""Live progress of a running operation: one updating line on a terminal, log lines elsewhere."""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import Any

from ytflow.terminal import start_live_line

_logger = logging.getLogger("ytflow.operations")


class OperationProgress:
    """Counts jobs and input bytes (from feeder threads) and shows them while jobs run."""

    def __init__(self, title: str, *, jobs: int, input_bytes: int, input_rows: int) -> None:
        self.title = title
        self.jobs = jobs
        self.input_bytes = input_bytes
        self.input_rows = input_rows
        self.done_jobs = 0
        self.failed_jobs = 0
        self._fed = 0
        self._lock = threading.Lock()
        self._started = time.perf_counter()
        self._live: Any = None

    def add_input_bytes(self, count: int) -> None:
        """Called by feeder threads as input is streamed into jobs."""
        with self._lock:
            self._fed += count

    def job_done(self, index: int, seconds: float) -> None:
        """A job finished successfully."""
        with self._lock:
            self.done_jobs += 1
        if self._live is None and (
            self.jobs <= 16 or self.done_jobs % max(1, self.jobs // 10) == 0
        ):
            _logger.info(
                "%s: job %d done in %.2fs (%d/%d)",
                self.title,
                index,
                seconds,
                self.done_jobs,
                self.jobs,
            )

    def job_failed(self) -> None:
        """A job attempt failed (it may be retried)."""
        with self._lock:
            self.failed_jobs += 1

    def __enter__(self) -> OperationProgress:
        self._live = start_live_line(self._line, refresh_per_second=8)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()

    def _line(self) -> Any:
        from rich.text import Text  # noqa: PLC0415

        with self._lock:
            fed, done, failed = self._fed, self.done_jobs, self.failed_jobs
        rows = self.input_rows * fed // self.input_bytes if self.input_bytes else 0
        text = (
            f"{self.title}: jobs {done}/{self.jobs}, rows ~{rows:,}/{self.input_rows:,}, "
            f"{time.perf_counter() - self._started:.1f}s"
        )
        if failed:
            text += f", {failed} failed"
        return Text(text, style="cyan")
