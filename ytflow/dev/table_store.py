"""Dev tables: logical YT paths stored as JSONL files under ``.dev/``.

``//tmp/my_pipeline/data`` lives in ``.dev/data.jsonl``. Because only the base name survives,
the store keeps a registry (the ``path`` in each table's metadata) and refuses a second
logical path with the same base name instead of overwriting the first table.

Several processes may use one ``.dev/`` at once. Writers of a table take its lock
(``table_locks``) and run one at a time; a replace is a rename, an append is journaled.
Readers never wait and never change a live writer's work: they read a snapshot, the table
as its last finished write left it (an append still in flight is invisible to them, as on
YT), and only clean up after a writer whose lock shows it is dead.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ParamSpec, TypeVar

from ytflow.dev.files import (
    atomic_replace,
    concatenate,
    count_lines,
    count_rows,
    ends_with_newline,
    fsync_directory,
    new_temp,
    open_prefix,
)
from ytflow.dev.metadata import MetaStore, TableMeta, parse_meta
from ytflow.dev.rows import read_rows, write_rows
from ytflow.dev.table_files import (
    TABLE_SUFFIX,
    check_name_fits,
    check_regular,
    from_os_error,
    is_leftover,
    leftovers,
    not_a_table_file,
    raised_by_store,
    remove_leftovers,
    scratch_dir,
)
from ytflow.dev.table_locks import TableLocks
from ytflow.errors import DevStoreError, PathConflict, TableNotFound, YtflowError, YtPathError
from ytflow.paths import table_name, validate_table_path

__all__ = ["TABLE_SUFFIX", "DevTableStore", "TableInfo"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
# Snapshot attempts before giving up on a table whose metadata never holds still.
_SNAPSHOT_ATTEMPTS = 1000


@dataclass(frozen=True)
class TableInfo:
    """One dev table as ``ytflow tables`` lists it."""

    path: str | None  # None for a JSONL file no ytflow write has registered
    file: Path
    rows: int
    size: int


@dataclass
class _Located:
    path: str
    name: str
    file: Path
    meta: TableMeta | None
    registered: bool = True  # False for a JSONL file no ytflow write has registered


@dataclass
class _Snapshot:
    """An open table file and how much of it is committed content."""

    raw: BinaryIO  # unbuffered, at offset 0
    limit: int
    size: int
    mtime_ns: int
    meta: TableMeta | None
    meta_raw: bytes | None


def _os_errors(method: Callable[_P, _R]) -> Callable[_P, _R]:
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


class DevTableStore:
    """The ``.dev/`` folder as a table store: atomic writes, streamed reads, cheap counts."""

    def __init__(self, dev_dir: Path) -> None:
        self.dev_dir = dev_dir
        self.meta = MetaStore(dev_dir)
        self.locks = TableLocks(dev_dir)
        self._resolved_dir = dev_dir.resolve()
        self._depth = threading.local()  # per thread: table name -> nested writes

    @_os_errors
    def file_for(self, path: str) -> Path:
        """The JSONL file that holds ``path`` (validated; the table need not exist)."""
        return self._locate(path).file

    @_os_errors
    def write(self, path: str, rows: Iterable[Mapping[str, Any]], *, append: bool = False) -> int:
        """Replace (or append to) the table; see ``YtClient.write_table`` for the guarantees."""
        with self._writing([path]) as [table]:
            if append and table.file.exists():
                return self._append(table, rows)
            with atomic_replace(table.file) as handle:
                count = write_rows(handle, rows, table=table.path)
            self._save_counted(table, TableMeta(path=table.path), count)
            return count

    @_os_errors
    def commit(
        self,
        outputs: Sequence[tuple[str, Sequence[Path], int]],
        *,
        append: bool = False,
        sorted_by: list[str] | None = None,
    ) -> None:
        """Make job output files the content of tables: ``(path, part files, row count)``.

        Parts are concatenated in order. Every replaced table is staged in a temp file first
        and only then renamed into place, so a failure while staging changes no table. A
        single part of a replace is renamed directly (no copy).
        """
        with self._writing([path for path, _, _ in outputs]) as tables:
            staged: list[tuple[_Located, Path | None, Sequence[Path], int]] = []
            temps: list[Path] = []
            try:
                for table, (_, parts, rows) in zip(tables, outputs, strict=True):
                    if append and table.file.exists():
                        staged.append((table, None, parts, rows))
                    elif len(parts) == 1 and ends_with_newline(parts[0]):
                        staged.append((table, parts[0], parts, rows))
                    else:
                        temps.append(new_temp(table.file))
                        with temps[-1].open("wb") as handle:
                            concatenate(parts, handle)
                            handle.flush()
                            os.fsync(handle.fileno())
                        staged.append((table, temps[-1], parts, rows))
            except BaseException:
                for temp in temps:
                    temp.unlink(missing_ok=True)
                raise
            for table, temp, parts, rows in staged:
                if temp is None:
                    self._append_files(table, parts, rows)
                    continue
                temp.replace(table.file)
                fsync_directory(table.file.parent)
                self._save_counted(table, TableMeta(path=table.path, sorted_by=sorted_by), rows)

    @contextlib.contextmanager
    def staging(self, path: str, *, reading: Sequence[str] = ()) -> Generator[Path, None, None]:
        """A fresh scratch folder for building the table's next content, under its write lock
        (and, taken together so two writers never deadlock, the locks of the tables in
        ``reading``, which thus hold still while they are read in place).

        Commit a file from it with ``commit`` inside the block. The folder is removed on exit,
        and a crashed writer's folder is removed by the next access of the table.
        """
        with self._writing([path, *reading]) as [table, *_]:
            scratch = scratch_dir(self.dev_dir, table.name)
            try:
                scratch.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise from_os_error(path, error) from None
            try:
                yield scratch
            finally:
                remove_leftovers([scratch])

    @contextlib.contextmanager
    def holding(self, paths: Iterable[str]) -> Generator[None, None, None]:
        """Keep the tables still for a reader that reads their files itself (DuckDB cannot
        stop at an append's journal): hold their write locks, so a running write finishes
        first and the next waits. Paths that are not tables are left for the reader to report.
        """
        valid: list[str] = []
        for path in sorted(set(paths)):
            with contextlib.suppress(YtflowError):
                valid.append(self._locate(path).path)
        with self._writing(valid):
            yield

    @_os_errors
    def read(self, path: str) -> Iterator[dict[str, Any]]:
        """Stream the table's rows; raises ``TableNotFound`` before the first row if missing.

        The rows are those of the last finished write when the first row is read: writes
        that finish later, by this process or another, do not change what the iterator yields.
        """
        table = self._locate(path)
        self._clean_after_dead_writer(table)
        if not check_regular(table.path, table.file):
            raise self._not_found(table)
        return self._rows(table)

    @_os_errors
    def exists(self, path: str) -> bool:
        """True only if this logical path has a table (not another path with the same name)."""
        try:
            table = self._locate(path)
        except PathConflict:
            return False
        self._clean_after_dead_writer(table)
        return check_regular(table.path, table.file)

    @_os_errors
    def remove(self, path: str, *, force: bool = False) -> None:
        """Delete the table and its metadata, freeing the base name."""
        try:
            with self._writing([path]) as [table]:
                if not check_regular(table.path, table.file):
                    if not force:
                        raise self._not_found(table)
                    self.meta.delete(table.name)
                    return
                table.file.unlink()
                self.meta.delete(table.name)
        except PathConflict:
            if not force:  # the cluster has no table at this path, and force ignores that
                raise

    @_os_errors
    def row_count(self, path: str) -> int:
        """Rows in the table, from metadata when current, else counted at C speed."""
        table = self._locate(path)
        self._clean_after_dead_writer(table)
        snapshot = self._snapshot(table)
        if snapshot is None:
            raise self._not_found(table)
        with snapshot.raw:
            return self._count_snapshot(table, snapshot)

    @_os_errors
    def sorted_by(self, path: str) -> list[str] | None:
        """The columns the table is known to be sorted by, or None.

        The claim holds only for the file as it was when it was recorded: a table edited by
        hand since then (size or mtime changed) is no longer known to be sorted.
        """
        table = self._locate(path)
        if table.meta is None or not check_regular(table.path, table.file):
            return None
        stat = table.file.stat()
        if table.meta.append_from is not None:
            return None
        if not table.meta.count_is_current(stat.st_size, stat.st_mtime_ns):
            return None
        return table.meta.sorted_by

    @_os_errors
    def cached(self, path: str, key: str, compute: Callable[[], Any]) -> Any:
        """A value derived from the table's content, kept in its metadata until it changes.

        The value is recomputed whenever the file's size or mtime differ from when it was
        stored (e.g. the dev YQL engine's inferred column types).
        """
        table = self._locate(path)
        if not check_regular(table.path, table.file):
            raise self._not_found(table)
        stat = table.file.stat()
        meta = table.meta or TableMeta(path=table.path)
        stored: Any = meta.extra.get(key)
        if (
            isinstance(stored, dict)
            and stored.get("size") == stat.st_size  # pyright: ignore[reportUnknownMemberType]
            and stored.get("mtime_ns") == stat.st_mtime_ns  # pyright: ignore[reportUnknownMemberType]
        ):
            return stored.get("value")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        value = compute()
        entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "value": value}
        self._update_meta(table, lambda meta: meta.extra.__setitem__(key, entry))
        return value

    @_os_errors
    def tables(self) -> list[TableInfo]:
        """Every JSONL table under ``.dev/``, sorted by file name (temp files are no tables)."""
        for name in leftovers(self.dev_dir):
            self._clean_after_dead_writer(_Located(name, name, self._file(name), None, False))
        found: list[TableInfo] = []
        for file in sorted(self.dev_dir.glob(f"*{TABLE_SUFFIX}")):
            if is_leftover(file.name):
                continue
            name = file.name.removesuffix(TABLE_SUFFIX)
            meta = self.meta.load(name)
            table = _Located(meta.path if meta else str(file), name, file, meta, meta is not None)
            snapshot = self._snapshot(table)
            if snapshot is None:  # removed since the listing
                continue
            with snapshot.raw:
                rows = self._count_snapshot(table, snapshot)
            found.append(TableInfo(meta.path if meta else None, file, rows, snapshot.limit))
        return found

    # --- locating ------------------------------------------------------------------------------

    def _file(self, name: str) -> Path:
        return self.dev_dir / f"{name}{TABLE_SUFFIX}"

    def _locate(self, path: str) -> _Located:
        path = validate_table_path(path)
        name = table_name(path)
        check_name_fits(path, name)
        file = self._file(name)
        if file.resolve().parent != self._resolved_dir:
            raise YtPathError(
                f"table path {path!r} maps to {file}, which resolves outside {self.dev_dir}",
                hint=f"remove the symlink {file} so the table is stored inside .dev/",
            )
        meta = self.meta.load(name)
        if meta is not None and meta.path != path:
            raise PathConflict(
                f"table paths {meta.path!r} and {path!r} both map to dev file {file}; "
                "dev keys tables by their last path component",
                hint=f"give one of them another base name, or remove {meta.path} first "
                "(yt.remove frees the name)",
            )
        return _Located(path, name, file, meta)

    # --- writing (under the table's lock) ------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, paths: Sequence[str]) -> Generator[list[_Located], None, None]:
        """Hold the tables' write locks; the outermost hold first undoes and removes what a
        dead writer left (an append journal, temp files)."""
        located = [self._locate(path) for path in paths]
        names = [table.name for table in located]
        depth: dict[str, int] = self._depth.__dict__.setdefault("names", {})
        with self.locks.writing(names):
            outermost = [name for name in names if not depth.get(name)]
            for name in names:
                depth[name] = depth.get(name, 0) + 1
            try:
                located = [self._locate(path) for path in paths]  # the registry may have moved
                for table in located:
                    check_regular(table.path, table.file)
                    if table.name in outermost:
                        self._undo_dead_writer(table)
                yield located
            finally:
                for name in names:
                    depth[name] -= 1

    def _undo_dead_writer(self, table: _Located) -> None:
        """Roll back an append journal and delete temps (lock held: their writer is dead)."""
        if table.meta is not None and table.meta.append_from is not None:
            self._undo_interrupted_append(table, table.meta.append_from)
        remove_leftovers(leftovers(self.dev_dir, table.name).get(table.name, []))

    def _append(self, table: _Located, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append encoded rows in place (see ``_journaled_append``)."""
        return self._journaled_append(
            table, lambda handle: write_rows(handle, rows, table=table.path)
        )

    def _append_files(self, table: _Located, parts: Sequence[Path], rows: int) -> None:
        """Append job output files in place (see ``_journaled_append``)."""

        def copy(handle: BinaryIO) -> int:
            concatenate(parts, handle)
            return rows

        self._journaled_append(table, copy)

    def _journaled_append(self, table: _Located, write: Callable[[BinaryIO], int]) -> int:
        """Append what ``write`` writes; a journal in the metadata (the old length) lets any
        failure, even a crash, roll the file back so no partial row is ever visible. Readers
        meanwhile see the file up to the journal's length: the table before the append.
        """
        existing = self._count(table)
        meta = table.meta or TableMeta(path=table.path)
        original_size = table.file.stat().st_size
        meta.append_from = original_size
        self.meta.save(table.name, meta)
        try:
            with table.file.open("ab", buffering=1 << 20) as handle:
                if not ends_with_newline(table.file):
                    handle.write(b"\n")
                count = write(handle)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            self._undo_interrupted_append(table, original_size)
            raise
        meta.append_from = None
        meta.sorted_by = None  # appended rows carry no sort guarantee
        self._save_counted(table, meta, existing + count)
        return count

    def _undo_interrupted_append(self, table: _Located, original_size: int) -> None:
        if table.file.exists() and table.file.stat().st_size > original_size:
            os.truncate(table.file, original_size)
        meta = table.meta or TableMeta(path=table.path)
        meta.append_from = None
        self.meta.save(table.name, meta)
        table.meta = meta

    def _count(self, table: _Located) -> int:
        stat = table.file.stat()
        if table.meta is not None and table.meta.count_is_current(stat.st_size, stat.st_mtime_ns):
            assert table.meta.rows is not None
            return table.meta.rows
        count = count_lines(table.file)
        self._save_counted(table, table.meta or TableMeta(path=table.path), count)
        return count

    def _save_counted(self, table: _Located, meta: TableMeta, rows: int) -> None:
        stat = table.file.stat()
        meta.rows, meta.size, meta.mtime_ns = rows, stat.st_size, stat.st_mtime_ns
        self.meta.save(table.name, meta)
        table.meta = meta

    # --- reading (no lock: never waits for a writer) -------------------------------------------

    def _snapshot(self, table: _Located) -> _Snapshot | None:
        """Open the table and find its committed length, or None if it does not exist.

        Writers change the metadata before and after every in-place change, so two equal
        reads of it around the open make a consistent view: if it shows an append in flight,
        only the bytes before it are the table.
        """
        for _ in range(_SNAPSHOT_ATTEMPTS):
            before = self.meta.read_raw(table.name)
            try:
                raw: BinaryIO = table.file.open("rb", buffering=0)
            except FileNotFoundError:
                if self.meta.read_raw(table.name) == before:
                    return None
                continue
            except IsADirectoryError:
                raise not_a_table_file(table.path, table.file, "a directory") from None
            stat = os.fstat(raw.fileno())
            after = self.meta.read_raw(table.name)
            if after != before:
                raw.close()
                continue
            meta = parse_meta(after)
            if meta is not None and meta.append_from is not None:
                if self._clean_after_dead_writer(table):
                    raw.close()
                    continue
                limit = min(meta.append_from, stat.st_size)
            else:
                limit = stat.st_size
            return _Snapshot(raw, limit, stat.st_size, stat.st_mtime_ns, meta, after)
        raise DevStoreError(
            f"dev table {table.path}: its metadata kept changing while it was being opened",
            hint="another process is writing it in a tight loop; retry when it is done",
        )

    def _rows(self, table: _Located) -> Iterator[dict[str, Any]]:
        try:
            snapshot = self._snapshot(table)
            if snapshot is None:  # removed since ``read`` checked
                raise self._not_found(table)
            yield from read_rows(
                open_prefix(snapshot.raw, snapshot.limit), path=table.file, table=table.path
            )
        except OSError as error:
            raise from_os_error(table.path, error) from None

    def _count_snapshot(self, table: _Located, snapshot: _Snapshot) -> int:
        meta = snapshot.meta
        if meta is not None and meta.rows is not None:
            if meta.append_from is None and meta.count_is_current(snapshot.size, snapshot.mtime_ns):
                return meta.rows
            if meta.append_from is not None and meta.size == meta.append_from:
                return meta.rows  # the count taken when the append started
        with open_prefix(snapshot.raw, snapshot.limit) as handle:
            count = count_rows(handle)
        if meta is None or meta.append_from is None:
            self._update_meta(
                table,
                lambda fresh: _set_count(fresh, count, snapshot),
                check=True,
                expect=snapshot.meta_raw,
            )
        return count

    def _update_meta(
        self,
        table: _Located,
        change: Callable[[TableMeta], None],
        *,
        check: bool = False,
        expect: bytes | None = None,
    ) -> None:
        """Cache something in the metadata, only if no writer is busy with the table (and,
        with ``check``, only if the metadata is still the bytes ``expect``): a reader never
        overwrites a writer's journal, and a cache miss costs only a recount."""
        if not table.registered:  # a file no ytflow write made: leave it unregistered
            return
        with self.locks.probe(table.name) as free:
            if not free:
                return
            raw = self.meta.read_raw(table.name)
            if check and raw != expect:
                return
            meta = parse_meta(raw)
            if meta is not None and (meta.path != table.path or meta.append_from is not None):
                return
            meta = meta or TableMeta(path=table.path)
            change(meta)
            self.meta.save(table.name, meta)

    def _clean_after_dead_writer(self, table: _Located) -> bool:
        """Undo a dead writer's append and delete its temps, if there are any and its lock
        is free; True if an append journal was rolled back."""
        meta = self.meta.load(table.name)
        journal = meta is not None and meta.append_from is not None
        found = leftovers(self.dev_dir, table.name).get(table.name, [])
        if not journal and not found:
            return False
        with self.locks.probe(table.name) as free:
            if not free:
                return False
            meta = self.meta.load(table.name)  # as it is now that no writer can change it
            rolled_back = meta is not None and meta.append_from is not None
            if meta is not None and meta.append_from is not None:
                located = _Located(meta.path, table.name, table.file, meta)
                self._undo_interrupted_append(located, meta.append_from)
            remove_leftovers(leftovers(self.dev_dir, table.name).get(table.name, []))
            return rolled_back

    def _not_found(self, table: _Located) -> TableNotFound:
        return TableNotFound(
            table.path,
            hint=f"dev looked for {table.file}; write the table first, or run "
            "`ytflow tables` to list the tables that exist",
        )


def _set_count(meta: TableMeta, rows: int, snapshot: _Snapshot) -> None:
    meta.rows, meta.size, meta.mtime_ns = rows, snapshot.size, snapshot.mtime_ns
