"""The files of one dev table beside its JSONL: name checks, leftovers, and OS errors.

A table ``data`` owns ``.dev/data.jsonl``, ``.dev/.meta/data.json``, ``.dev/.locks/data.lock``
and, while a writer works, temp files that only that writer may touch:
``.dev/.data.jsonl.<8 hex>.tmp`` (a replace or a staged commit), ``.dev/.meta/.data.json.<8
hex>.tmp`` (a metadata save) and the scratch folder ``.dev/.tmp/data/`` (a sort's runs, a YQL
result). A writer killed at any moment leaves some of them behind; the next access of the
table removes them once the table's lock shows their writer is dead. Names from earlier
versions (``.data.staged``, ``.sorting.data.jsonl``, ``.yql.data.jsonl``) are swept too.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import shutil
import stat
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ParamSpec, TypeVar

import filelock

from ytflow.errors import DevStoreError, YtPathError

TABLE_SUFFIX = ".jsonl"
SCRATCH_DIR_NAME = ".tmp"
# File names hold at most 255 bytes on the filesystems dev runs on (ext4, APFS, xfs, btrfs);
# the longest name a table's files derive from its base name is ".<name>.jsonl.<8 hex>.tmp".
NAME_MAX_BYTES = 255
MAX_TABLE_NAME_BYTES = NAME_MAX_BYTES - len(f"..jsonl.{'0' * 8}.tmp")

_P = ParamSpec("_P")
_R = TypeVar("_R")
_HEX = r"[0-9a-f]{8}"
# Leftovers in .dev/ and .dev/.meta/, each pattern capturing the table's base name.
_DEV_LEFTOVERS = (
    re.compile(rf"\.(?P<name>.+)\.jsonl\.{_HEX}\.tmp"),
    re.compile(r"\.(?P<name>.+)\.staged"),
    re.compile(rf"\.\.(?P<name>.+)\.staged\.{_HEX}\.tmp"),
    re.compile(r"\.sorting\.(?P<name>.+)\.jsonl"),
    re.compile(rf"\.\.sorting\.(?P<name>.+)\.jsonl\.{_HEX}\.tmp"),
    re.compile(r"\.yql\.(?P<name>.+)\.jsonl"),
)
_META_LEFTOVER = re.compile(rf"\.(?P<name>.+)\.json\.{_HEX}\.tmp")


def check_name_fits(path: str, name: str) -> None:
    """Refuse, before touching any file, a base name too long to become a dev file name."""
    size = len(name.encode("utf-8"))
    if size > MAX_TABLE_NAME_BYTES:
        raise YtPathError(
            f"table path {path!r}: its last component is {size} bytes long, but dev stores "
            f"the table in the file .dev/<name>{TABLE_SUFFIX} and its temp files, and file "
            f"names hold at most {NAME_MAX_BYTES} bytes, so a dev table name may have at most "
            f"{MAX_TABLE_NAME_BYTES} bytes (YT itself allows longer names)",
            hint="shorten the last path component (UTF-8 letters outside ASCII count 2-4 bytes)",
        )


def is_leftover(file_name: str) -> bool:
    """True for a temp file name in ``.dev/`` that is no table (``ytflow tables`` skips it)."""
    return any(pattern.fullmatch(file_name) for pattern in _DEV_LEFTOVERS)


def leftovers(dev_dir: Path, name: str | None = None) -> dict[str, list[Path]]:
    """Temp files and scratch folders left in ``dev_dir``, by table name (one table's if
    ``name`` is given). Writers alive or dead alike: check the table's lock before removing.
    """
    found: dict[str, list[Path]] = {}
    places = (
        (dev_dir, _DEV_LEFTOVERS),
        (dev_dir / ".meta", (_META_LEFTOVER,)),
        (dev_dir / SCRATCH_DIR_NAME, None),
    )
    for directory, patterns in places:
        for entry in _entries(directory):
            owner = _owner(entry, patterns)
            if owner is not None and (name is None or owner == name):
                found.setdefault(owner, []).append(directory / entry)
    return found


def remove_leftovers(paths: list[Path]) -> None:
    """Delete a dead writer's leftovers (call only while holding the table's lock)."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def scratch_dir(dev_dir: Path, name: str) -> Path:
    """The folder a writer of table ``name`` keeps its temp files in (under its lock)."""
    return dev_dir / SCRATCH_DIR_NAME / name


def check_regular(path: str, file: Path) -> bool:
    """True if the table's file exists, False if not; raise if something else is there."""
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise not_a_table_file(path, file.parent, "not a folder") from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise not_a_table_file(path, file, kind)
    return True


def not_a_table_file(path: str, file: Path, kind: str) -> DevStoreError:
    """The error for a table whose dev file is a directory, a device, a socket, ..."""
    return DevStoreError(
        f"dev table {path}: {file} is {kind}, so it cannot hold the table",
        hint=f"dev keeps each table in one regular JSONL file; move or remove {file}",
    )


def from_os_error(path: str, error: OSError) -> DevStoreError:
    """A ytflow error for a failed file operation on table ``path``, naming the file."""
    where = f" ({error.filename})" if error.filename else ""
    reason = error.strerror or str(error)
    hints = {
        errno.ENOSPC: "free some disk space on the drive that holds .dev/",
        errno.EDQUOT: "free some disk space (your disk quota is full)",
        errno.EACCES: "check the permissions of .dev/ and the files in it",
        errno.EPERM: "check the permissions of .dev/ and the files in it",
        errno.EROFS: "the folder is on a read-only filesystem; run the pipeline elsewhere",
        errno.EISDIR: "move or remove the directory named above",
        errno.ENOTDIR: "move or remove the file that stands where .dev/ needs a folder",
    }
    return DevStoreError(
        f"dev table {path}: {reason}{where}",
        hint=hints.get(error.errno or 0, "check the file named above"),
    )


_OWN_CODE = (
    str(Path(__file__).resolve().parent.parent),
    str(Path(filelock.__file__).resolve().parent),
    os.path.realpath(sysconfig.get_paths()["stdlib"]),
)


def raised_by_store(error: BaseException) -> bool:
    """True unless a frame outside ytflow, its lock library and the standard library raised
    ``error``: an ``OSError`` from the caller's own row generator stays the caller's error."""
    traceback = error.__traceback__
    while traceback is not None:
        file = os.path.realpath(traceback.tb_frame.f_code.co_filename)
        if not file.startswith(_OWN_CODE):
            return False
        traceback = traceback.tb_next
    return True


def _entries(directory: Path) -> Iterator[str]:
    try:
        with os.scandir(directory) as entries:
            yield from (entry.name for entry in entries)
    except (FileNotFoundError, NotADirectoryError):
        return


def _owner(entry: str, patterns: tuple[re.Pattern[str], ...] | None) -> str | None:
    if patterns is None:  # .dev/.tmp/<name>/ is the scratch folder of table <name>
        return entry
    for pattern in patterns:
        match = pattern.fullmatch(entry)
        if match:
            return match["name"]
    return None


def os_errors(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn a file operation's ``OSError`` inside the store into a ytflow error naming the
    table and file (an error the caller's own row generator raised passes unchanged)."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except OSError as error:
            if not raised_by_store(error):
                raise
            path = args[1] if len(args) > 1 and isinstance(args[1], str) else "(all tables)"
            raise from_os_error(path, error) from None

    return wrapper
