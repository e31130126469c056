"""One local-yt per root folder: a second server on the same root would corrupt its state.

Each server keeps its Cypress tree in memory and rewrites ``cypress.yson`` on every commit,
and sweeps chunks it does not reference at start, so two servers on one root would lose
each other's writes and delete each other's data. A server holds an exclusive ``flock`` on
``<root>/.lock`` (through ``filelock``) for its whole life; the kernel drops it however the
process dies, so a killed server never blocks the next one. Who holds it (pid, proxy URL,
start time) is written beside it in ``<root>/.lock.json`` for the refusal message.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ytflow.errors import UsageError, YtflowError

LOCK_NAME = ".lock"
HOLDER_NAME = ".lock.json"
_HOLDER_WAIT = 1.0  # seconds a fresh holder may take to write its details


class RootInUseError(YtflowError):
    """Another local-yt serves this root (exit code 3, like a pipeline's run lock)."""

    exit_code = 3


class RootLock:
    """The exclusive lock on one root folder; ``acquire`` fails at once if it is taken."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = FileLock(root / LOCK_NAME, timeout=0)

    def acquire(self) -> None:
        """Take the lock or raise ``RootInUseError`` naming the holder."""
        try:
            self._lock.acquire()
        except Timeout:
            raise self._in_use() from None
        except OSError as error:
            raise UsageError(
                f"cannot lock the local-yt root {self.root}: {error.strerror or error}",
                hint="check that the --root folder is writable",
            ) from None

    def describe_holder(self, proxy_url: str) -> None:
        """Say who holds the lock (written atomically; only a better message depends on it)."""
        details = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "proxy_url": proxy_url,
            "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        path = self.root / HOLDER_NAME
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(details), encoding="utf-8")
            temporary.replace(path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()

    def release(self) -> None:
        if not self._lock.is_locked:
            return
        with contextlib.suppress(OSError):
            (self.root / HOLDER_NAME).unlink()
        self._lock.release()

    def _in_use(self) -> RootInUseError:
        # The holder writes its details just after it starts listening: give it a moment.
        deadline = time.monotonic() + _HOLDER_WAIT
        holder = _read_holder(self.root)
        while not _alive(holder) and time.monotonic() < deadline:
            time.sleep(0.05)
            holder = _read_holder(self.root)
        if holder is not None and _alive(holder):
            who = (
                f"pid {holder.get('pid')} serving {holder.get('proxy_url')}, "
                f"started {holder.get('started')}"
            )
        else:
            who = "a process that has not said who it is"
        return RootInUseError(
            f"the local-yt root {self.root} is in use by another local-yt ({who})",
            hint="use that server, stop it first, or give this one another --root; "
            "two servers on one root would corrupt it",
        )


def _read_holder(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None  # pyright: ignore[reportUnknownVariableType]


def _alive(holder: dict[str, Any] | None) -> bool:
    if holder is None:
        return False
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if holder.get("host") != socket.gethostname():
        return True  # a process on another machine (a shared folder): assume it is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
