"""Guards dev keeps around DuckDB (none of them needs DuckDB itself).

The settings every dev DuckDB connection opens with; signals that must stop a running query
and still reach the driver's own handler; result files holding NaN or infinity, which a JSONL
table cannot store; column names that DuckDB would merge because it matches them
case-insensitively.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import re
import signal
import socket
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from ytflow.errors import YqlError

# DuckDB's settings fixed when a connection opens, for every dev connection (YQL and sort):
# nothing may be fetched, installed or loaded from outside.
SEALED_CONNECT: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,
}
_RENAMED = re.compile(r"^(.+)_\d+$")  # how DuckDB renames a column that clashes with another
_INTERRUPTED = "Query interrupted"  # what DuckDB raises (a RuntimeError) when a signal arrives


@contextmanager
def interrupting_duckdb(interrupt: Callable[[], None]) -> Generator[None]:
    """Let SIGINT and SIGTERM stop a running query at once, then act as they would have.

    While DuckDB runs a query the main thread sits in C code, so a Python signal handler
    (the driver's, or the default one that raises ``KeyboardInterrupt``) waits until the
    query ends, which may be never. So for the script's duration the signal's wakeup byte
    wakes a watcher thread that calls ``interrupt`` (DuckDB's own, thread-safe), and a
    temporary handler records the signal. Once DuckDB has stopped, the handler installed
    before is given the signal again, so the process ends exactly as it would have.
    """
    if threading.current_thread() is not threading.main_thread():
        try:
            yield
        except Interrupted:
            raise YqlError("the query was interrupted") from None
        return
    received: list[int] = []

    def record(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        raise Interrupted

    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler not in (signal.SIG_IGN, None):
            previous[signum] = handler
            signal.signal(signum, record)
    interrupted = False
    try:
        with _watching_signals(interrupt):
            yield
    except Interrupted:
        interrupted = True
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        try:
            signal.raise_signal(received[0])  # the handler installed before acts on it now
        except BaseException as error:
            raise error from None  # its traceback need not show how DuckDB was stopped
    if interrupted or received:
        raise YqlError(
            "the query was interrupted" + (f" by signal {received[0]}" if received else "")
        ) from None


@contextmanager
def _watching_signals(interrupt: Callable[[], None]) -> Generator[None]:
    """Call ``interrupt`` from a thread whenever a handled signal arrives."""
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread after all, or the fd is unusable
        reader.close()
        writer.close()
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while reader.recv(64) and not done.is_set():
            with contextlib.suppress(Exception):  # the query may have ended meanwhile
                interrupt()

    watcher = threading.Thread(target=watch, name="ytflow-yql-signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        done.set()
        writer.send(b"\0")  # wakes the watcher, which sees ``done`` and returns
        watcher.join()
        reader.close()
        writer.close()


class Interrupted(BaseException):
    """Raised by the temporary signal handler to stop DuckDB (never leaves this module)."""


def reraise_interrupt(error: BaseException) -> None:
    """Turn DuckDB's report of a signal back into ``Interrupted``."""
    if isinstance(error, RuntimeError) and str(error) == _INTERRUPTED:
        raise Interrupted from None


def refuse_case_twins(path: str, file: Path, names: list[str], line: int) -> None:
    """DuckDB matches column names case-insensitively: it reads ``a`` and ``A`` as ``a`` and
    ``A_1`` (a key no row has), where YT keeps two columns. Refuse such a table rather than
    return NULLs for one of them."""
    folded = {name.casefold(): name for name in names}
    for name in names:
        match = _RENAMED.match(name)
        twin = folded.get(match.group(1).casefold()) if match else None
        if match and twin is not None and not _mentions(file, orjson.dumps(name)):
            raise YqlError(
                f"{path} has columns {twin!r} and {match.group(1)!r}, which differ only in "
                "case; DuckDB, which runs dev YQL, cannot tell them apart",
                line=line,
                hint="the cluster keeps them apart: run this query in prod, or rename one",
            )


def _mentions(file: Path, text: bytes) -> bool:
    with file.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(text) >= 0


def loads_row(value: str) -> dict[str, Any]:
    """A result row; DuckDB writes NaN and infinity bare, which only ``json`` parses."""
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value)


def non_finite_line(file: Path) -> int | None:
    """The first line of a DuckDB JSON file holding a bare NaN or Infinity, if any."""
    if file.stat().st_size == 0:
        return None
    with file.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for word in (b"NaN", b"Infinity"):
            found = data.find(word)
            while found >= 0:
                start = data.rfind(b"\n", 0, found) + 1
                end = data.find(b"\n", found)
                end = len(data) if end < 0 else end
                try:
                    orjson.loads(data[start:end])
                except orjson.JSONDecodeError:
                    return data[:start].count(b"\n") + 1
                found = data.find(word, end)
    return None
