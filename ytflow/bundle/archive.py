"""Pack the chosen files into a byte-for-byte reproducible ``.tar.gz``, and unpack it.

Reproducible bytes give a stable digest, so prod can skip uploading an unchanged bundle and dev
can reuse the archive it built last run. Everything that varies between machines or checkouts
(mtimes, owners, umask) is fixed; only names, contents and the owner-executable bit count.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ytflow.bundle.collect import Member, collect_members

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None

_MTIME = 315532800  # 1980-01-01, the earliest time zip tools accept; any constant would do
_CHUNK = 1 << 20
_TEMP_PREFIX, _TEMP_SUFFIX = ".bundle-", ".tmp"


@dataclass(frozen=True)
class Bundle:
    """A built code bundle on local disk."""

    archive: Path
    """The deterministic ``.tar.gz``."""
    digest: str
    """SHA-256 hex of the archive bytes: equal digests mean equal bundles."""
    files: tuple[str, ...]
    """Member names (posix, bundle-relative), sorted."""
    size: int
    """Archive size in bytes."""


def build_bundle(
    root: Path,
    *,
    output_dir: Path,
    upload_modules: Sequence[str] = (),
    upload_paths: Sequence[tuple[str, str]] = (),
) -> Bundle:
    """Build the code bundle of pipeline folder ``root`` into ``output_dir``.

    The archive is ``output_dir/bundle-<digest[:16]>.tar.gz``; an archive already there with
    the same digest is reused untouched. Bad ``upload_modules`` / ``upload_paths`` entries and
    symlinks leaving the pipeline folder raise ``ConfigError`` naming the key or the link.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    members = collect_members(
        root, upload_modules=upload_modules, upload_paths=upload_paths, skip=[output_dir]
    )
    with _folder_lock(output_dir):  # no cleaner runs between a temp's creation and its lock
        _remove_dead_builders_temps(output_dir)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=output_dir)
        _lock_while_open(fd)
    temp = Path(temp_name)
    # The temp's fd (and so its flock) stays open until the temp is renamed or removed: a
    # cleaner must never see it unlocked while this builder still needs it.
    try:
        with os.fdopen(fd, "wb", closefd=False) as raw:
            hashing = _HashingWriter(raw)
            _write_archive(hashing, members)
            raw.flush()
            os.fsync(raw.fileno())
        digest = hashing.hexdigest()
        archive = output_dir / f"bundle-{digest[:16]}.tar.gz"
        if archive.is_file() and archive.stat().st_size == hashing.size:
            temp.unlink(missing_ok=True)
        else:
            temp.chmod(0o644)
            temp.replace(archive)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    finally:
        os.close(fd)
    return Bundle(
        archive=archive,
        digest=digest,
        files=tuple(member.name for member in members),
        size=hashing.size,
    )


class BundleSource:
    """Builds a pipeline's bundle on first use and hands out the same one after.

    Both backends hold one: dev extracts it into sandboxes, prod uploads it. Built lazily,
    so a run without operations never packs anything.
    """

    def __init__(
        self,
        root: Path,
        *,
        output_dir: Path,
        upload_modules: Sequence[str] = (),
        upload_paths: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.root = root
        self.output_dir = output_dir
        self._upload_modules = tuple(upload_modules)
        self._upload_paths = tuple(upload_paths)
        self._bundle: Bundle | None = None

    def get(self) -> Bundle:
        """The bundle, built now if this is the first call."""
        if self._bundle is None:
            self._bundle = build_bundle(
                self.root,
                output_dir=self.output_dir,
                upload_modules=self._upload_modules,
                upload_paths=self._upload_paths,
            )
        return self._bundle


def _lock_while_open(fd: int) -> None:
    """Hold an ``flock`` on a temp archive while it is written: the kernel drops it when the
    builder dies, so a temp whose lock can be taken is a dead builder's leftover."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


@contextlib.contextmanager
def _folder_lock(output_dir: Path) -> Generator[None]:
    """Serialise temp creation and dead-temp cleanup among builders sharing ``output_dir``.

    Without it, a builder's cleanup could take the lock of another builder's temp in the
    instant between that temp's creation and its ``flock``, and delete it from under it.
    """
    if fcntl is None:
        yield
        return
    fd = os.open(output_dir, os.O_RDONLY)  # the folder itself: no lock file to list
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_dead_builders_temps(output_dir: Path) -> None:
    """Delete temp archives left by builders killed mid-write (never a live builder's)."""
    if fcntl is None:  # no flock on this platform: cannot tell dead from alive, keep them
        return
    for temp in output_dir.glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
        try:
            fd = os.open(temp, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live builder holds it
        else:
            temp.unlink(missing_ok=True)
        finally:
            os.close(fd)


def extract_bundle(bundle: Bundle, target: Path) -> None:
    """Replace ``target`` with a clean copy of the bundle, as a job sandbox on the cluster."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tarfile.open(bundle.archive, mode="r:gz") as tar:
        tar.extractall(target, filter="data")


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...
    def flush(self) -> object: ...


def _write_archive(stream: _Writable, members: Sequence[Member]) -> None:
    # mtime=0 and an empty filename keep the gzip header free of the build time and temp name.
    with (
        gzip.GzipFile(fileobj=stream, mode="wb", mtime=0, filename="") as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for member in members:
            with member.source.open("rb") as source:
                stat = os.fstat(source.fileno())
                info = tarfile.TarInfo(member.name)
                info.size = stat.st_size
                info.mtime = _MTIME
                info.mode = 0o755 if stat.st_mode & 0o100 else 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, source)


class _HashingWriter:
    """A write-only file that hashes and counts what passes through to ``raw``."""

    def __init__(self, raw: _Writable) -> None:
        self._raw = raw
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._sha.update(data)
        self.size += len(data)
        self._raw.write(data)
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def hexdigest(self) -> str:
        """SHA-256 hex of everything written so far."""
        return self._sha.hexdigest()
