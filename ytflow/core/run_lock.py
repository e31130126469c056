"""The pipeline run lock: one dev run of a pipeline at a time, since runs share ``.dev/``.

Two runs of one pipeline share its sandboxes and tables, so the second would corrupt the
first. A run holds an exclusive ``flock`` on ``.dev/.run.lock`` (through ``filelock``) for
its whole life; the kernel drops it when the holder exits, however it dies, so a killed run
never blocks the next one. Who holds it (pid, start time, host, stages) is written beside it
in ``.dev/.run.lock.json``, for the message the second run prints. Separate pipelines have
separate ``.dev/`` folders and never wait for each other. ``ytflow tables`` and ``show`` do
not take the lock: they read tables while a run writes them.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Generator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ytflow.errors import RunLockedError, UsageError

LOCK_NAME = ".run.lock"
HOLDER_NAME = ".run.lock.json"
_HOLDER_WAIT = 1.0  # seconds to wait for a fresh holder to write its details


@contextlib.contextmanager
def run_lock(dev_dir: Path, *, stages: Sequence[str]) -> Generator[None]:
    """Hold the run lock of the pipeline whose dev folder is ``dev_dir``, or fail at once.

    Raises ``RunLockedError`` (naming the holder's pid and start time) if another run holds it.
    """
    try:
        dev_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the dev folder {dev_dir}: {error.strerror or error}",
            hint="check that the pipeline folder is writable",
        ) from None
    lock = FileLock(dev_dir / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise _locked_error(dev_dir) from None
    except OSError as error:
        raise UsageError(
            f"cannot take the run lock {dev_dir / LOCK_NAME}: {error.strerror or error}",
            hint="check that the pipeline's .dev folder is writable",
        ) from None
    holder = dev_dir / HOLDER_NAME
    try:
        _write_holder(holder, stages)
        yield
    finally:
        with contextlib.suppress(OSError):
            holder.unlink()
        lock.release()


def read_holder(dev_dir: Path) -> dict[str, Any] | None:
    """What the current holder wrote about itself, or None if nothing readable is there."""
    try:
        data = json.loads((dev_dir / HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None  # pyright: ignore[reportUnknownVariableType]


def _write_holder(path: Path, stages: Sequence[str]) -> None:
    details = {
        "pid": os.getpid(),
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "stages": list(stages),
    }
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(json.dumps(details), encoding="utf-8")
        temp.replace(path)  # atomic: a reader sees the old details or the new, never half
    except OSError:  # the details only improve a message; the lock itself is what matters
        with contextlib.suppress(OSError):
            temp.unlink()


def _locked_error(dev_dir: Path) -> RunLockedError:
    # The holder writes its details just after taking the lock: give it a moment, but do not
    # trust details left by a run that died (its pid is gone).
    deadline = time.monotonic() + _HOLDER_WAIT
    holder = read_holder(dev_dir)
    while not _alive(holder) and time.monotonic() < deadline:
        time.sleep(0.05)
        holder = read_holder(dev_dir)
    if holder is not None and _alive(holder):
        who = f"pid {holder.get('pid')}, started {holder.get('started')}"
        if holder.get("host") and holder.get("host") != socket.gethostname():
            who += f" on {holder.get('host')}"
        stages = holder.get("stages")
        if isinstance(stages, list) and stages:
            who += f", stages {', '.join(str(stage) for stage in stages)}"  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    else:
        who = "a process that has not said who it is"
    return RunLockedError(
        f"another run of this pipeline is in progress ({who}); it holds {dev_dir / LOCK_NAME}",
        hint="wait for it to finish, or stop it (Ctrl-C in its terminal, or kill PID); "
        "runs of one pipeline share .dev/ and would corrupt each other",
    )


def _alive(holder: dict[str, Any] | None) -> bool:
    if holder is None:
        return False
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if holder.get("host") not in (None, socket.gethostname()):
        return True  # another machine's process (a shared folder): cannot check, assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
