"""``.dev/<stage>.log``: every job log line of a stage's operations, secrets already masked.

A run starts each stage's log afresh the first time one of its operations writes to it, and
later operations of the same stage in that run append, so a stage that runs a map and then a
vanilla operation keeps the logs of both. Lines come from many job threads at once; each is
written whole under a lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType


class StageLog:
    """An open ``.dev/<stage>.log``; ``write`` is safe from any thread."""

    def __init__(self, path: Path, *, fresh: bool) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("wb" if fresh else "ab")
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        """Append one line (already masked) and flush it, so a tail -f sees it at once."""
        data = line.encode("utf-8", "replace") + b"\n"
        with self._lock:
            if not self._handle.closed:
                self._handle.write(data)
                self._handle.flush()

    def close(self) -> None:
        """Close the file; later writes (from a straggling thread) are dropped."""
        with self._lock:
            self._handle.close()

    def __enter__(self) -> StageLog:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class StageLogs:
    """Opens stage logs for one client: fresh the first time in this run, appended after."""

    def __init__(self, dev_dir: Path) -> None:
        self.dev_dir = dev_dir
        self._started: set[str] = set()

    def open(self, stage: str) -> StageLog:
        """The log of ``stage``, to be closed by the caller (a context manager)."""
        fresh = stage not in self._started
        self._started.add(stage)
        return StageLog(self.dev_dir / f"{stage}.log", fresh=fresh)
