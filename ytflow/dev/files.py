"""Durable file primitives for the dev store: nothing is half-written, nothing is lost."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import BinaryIO

# The suffix of every temp file ``atomic_replace`` creates: ``.<target name>.<8 hex>.tmp``.
TEMP_SUFFIX = ".tmp"


def fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def atomic_replace(target: Path, *, buffer_size: int = 1 << 20) -> Generator[BinaryIO, None, None]:
    """Yield a temp file beside ``target``; on clean exit fsync it and rename it over ``target``.

    If the body raises, the temp file is deleted and ``target`` is untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_path = _create_temp(target)
    try:
        with os.fdopen(descriptor, "wb", buffering=buffer_size) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp_path.replace(target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def _create_temp(target: Path) -> tuple[int, Path]:
    """A new temp file beside ``target``, with the umask's permissions (unlike mkstemp's 0600)."""
    while True:
        temp_path = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp_path
        except FileExistsError:
            continue


def new_temp(target: Path) -> Path:
    """Create an empty temp file beside ``target`` named as ``atomic_replace`` names its own,
    so the same leftover sweep finds it; the caller renames or deletes it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_path = _create_temp(target)
    os.close(descriptor)
    return temp_path


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically."""
    with atomic_replace(target, buffer_size=0) as handle:
        handle.write(data)


# A line that starts with whitespace or is empty may be blank; JSONL rows start with '{'.
_SUSPECT_LINE_STARTS = (b"\n\n", b"\n ", b"\n\t", b"\n\r")


def count_lines(path: Path, *, limit: int | None = None, chunk_size: int = 1 << 22) -> int:
    """Count JSONL rows at C speed: non-blank lines, as the reader yields them.

    Only the first ``limit`` bytes count when given (a table's committed length while an
    append is in flight). Newlines are counted chunk by chunk; only a file that holds a
    blank line (hand-edited) takes the slower exact path.
    """
    with open_prefix(path.open("rb", buffering=0), limit) as handle:
        return count_rows(handle, chunk_size=chunk_size)


def count_rows(handle: BinaryIO, *, chunk_size: int = 1 << 22) -> int:
    """``count_lines`` of an open, seekable binary file from its start."""
    count = 0
    tail = b""
    while chunk := handle.read(chunk_size):
        data = tail + chunk
        cut = data.rfind(b"\n") + 1
        if cut and _may_hold_blank_line(data, cut):
            handle.seek(0)
            return sum(1 for line in handle if line.strip())
        count += data.count(b"\n", 0, cut)
        tail = data[cut:]
    if tail.strip():
        count += 1
    return count


class _Prefix(io.RawIOBase):
    """The first ``limit`` bytes of a file: what readers see of a table whose append is
    still in flight, however many bytes the appender has written since."""

    def __init__(self, raw: io.RawIOBase, limit: int) -> None:
        super().__init__()
        self._raw = raw
        self._limit = limit
        self._left = limit

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if (offset, whence) != (0, os.SEEK_SET):
            raise io.UnsupportedOperation("a table prefix only rewinds")
        self._left = self._limit
        return self._raw.seek(0)

    def tell(self) -> int:
        return self._limit - self._left

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._left)
        if wanted <= 0:
            return 0
        read = self._raw.readinto(memoryview(buffer)[:wanted])
        if not read:
            return 0
        self._left -= read
        return read


def open_prefix(raw: io.RawIOBase, limit: int | None, *, buffer_size: int = 1 << 20) -> BinaryIO:
    """A buffered reader over ``raw`` (an unbuffered file at offset 0) that ends after
    ``limit`` bytes, or at the end of the file when ``limit`` is None; closing it closes
    ``raw``."""
    source = raw if limit is None else _Prefix(raw, limit)
    return io.BufferedReader(source, buffer_size)  # type: ignore[arg-type]


def _may_hold_blank_line(data: bytes, end: int) -> bool:
    """A cheap over-approximation (memchr-speed) of "some line in data[:end] is blank"."""
    if data[:1] in (b"\n", b" ", b"\t", b"\r"):
        return True
    return any(data.find(start, 0, end) >= 0 for start in _SUSPECT_LINE_STARTS)


def concatenate(parts: Sequence[Path], handle: BinaryIO) -> None:
    """Append the files to ``handle`` in order, adding a newline where a part lacks one."""
    handle.flush()
    for part in parts:
        with part.open("rb") as source:
            copy_file(source, handle)
        if not ends_with_newline(part):
            handle.write(b"\n")


def copy_file(source: BinaryIO, target: BinaryIO) -> None:
    """Copy all of ``source`` to ``target`` in the kernel (``copy_file_range``) where possible.

    Falls back to a user-space copy where the call is missing (macOS) or the filesystem
    refuses it; the kernel copy advances both offsets, so the fallback resumes where it left.
    """
    target.flush()
    kernel_copy = getattr(os, "copy_file_range", None)
    try:
        if kernel_copy is not None:
            while kernel_copy(source.fileno(), target.fileno(), 1 << 30):
                pass
            target.seek(0, os.SEEK_END)
            return
    except OSError:  # a filesystem without copy_file_range
        pass
    shutil.copyfileobj(source, target, 1 << 20)
    target.seek(0, os.SEEK_END)


def ends_with_newline(path: Path) -> bool:
    """True for an empty file or one whose last byte is a newline."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
