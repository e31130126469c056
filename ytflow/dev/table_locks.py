"""Per-table write locks (``.dev/.locks/<name>.lock``): one writer per table at a time.

The locks are ``flock`` locks (``filelock.FileLock``), which the kernel releases when their
process dies, however it dies. That makes them the test for "is the writer of this journal
or temp file still alive?": a lock nobody holds means whatever the last writer left behind
is a dead writer's leftover, safe to roll back or delete. Lock files are never deleted
(deleting a lock file another process has open would split the lock in two).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Generator, Iterable
from pathlib import Path

from filelock import FileLock, Timeout

LOCKS_DIR_NAME = ".locks"
LOCK_SUFFIX = ".lock"

_logger = logging.getLogger("ytflow.dev")
# How long a writer waits silently before saying which table it is waiting for.
_QUIET_WAIT_SECONDS = 1.0


class TableLocks:
    """The write locks of one ``.dev/`` folder."""

    def __init__(self, dev_dir: Path) -> None:
        self.directory = dev_dir / LOCKS_DIR_NAME

    def file_for(self, name: str) -> Path:
        """The lock file of the table with base name ``name``."""
        return self.directory / f"{name}{LOCK_SUFFIX}"

    @contextlib.contextmanager
    def writing(self, names: Iterable[str]) -> Generator[None, None, None]:
        """Hold the write locks of ``names``, waiting for other writers to finish.

        Locks are taken in name order, so two writers of overlapping tables never deadlock.
        Re-entrant within a thread (a commit inside a sort that holds the same table), while
        another thread or process waits.
        """
        with contextlib.ExitStack() as stack:
            for name in sorted(set(names)):
                lock = self._lock(name)
                try:
                    lock.acquire(timeout=_QUIET_WAIT_SECONDS)
                except Timeout:
                    _logger.info("waiting for another writer of dev table %s to finish", name)
                    lock.acquire()
                stack.callback(lock.release)
            yield

    @contextlib.contextmanager
    def probe(self, name: str) -> Generator[bool, None, None]:
        """Take the lock only if no writer holds it, this very thread included; yields
        whether it was taken (True: no writer is alive, so its leftovers may be cleaned)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        # A private, non-re-entrant lock object: a reader inside its own thread's write (a
        # generator reading the table it is appending to) must see that writer as alive.
        lock = FileLock(self.file_for(name), thread_local=False)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def held_here(self, name: str) -> bool:
        """True if this thread holds the table's write lock (it is the writer, or a reader
        such as dev YQL holding the table still), so it may update the metadata itself."""
        return self._lock(name).is_locked

    def _lock(self, name: str) -> FileLock:
        self.directory.mkdir(parents=True, exist_ok=True)
        return FileLock(self.file_for(name), is_singleton=True)
