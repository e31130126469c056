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
import os
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ytflow.dev.files import (
    atomic_replace,
    concatenate,
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
    os_errors,
    remove_leftovers,
    scratch_dir,
)
from ytflow.dev.table_journal import (
    Located,
    clean_after_dead_writer,
    journaled_append,
    save_counted,
    undo_dead_writer,
)
from ytflow.dev.table_locks import TableLocks
from ytflow.dev.table_snapshot import Snapshot, take_snapshot
from ytflow.errors import PathConflict, TableNotFound, YtflowError, YtPathError
from ytflow.paths import table_name, validate_table_path

__all__ = ["TABLE_SUFFIX", "DevTableStore", "TableInfo"]


@dataclass(frozen=True)
class TableInfo:
    """One dev table as ``ytflow tables`` lists it."""

    path: str | None  # None for a JSONL file no ytflow write has registered
    file: Path
    rows: int
    size: int


class DevTableStore:
    """The ``.dev/`` folder as a table store: atomic writes, streamed reads, cheap counts."""

    def __init__(self, dev_dir: Path) -> None:
        self.dev_dir = dev_dir
        self.meta = MetaStore(dev_dir)
        self.locks = TableLocks(dev_dir)
        self._resolved_dir = dev_dir.resolve()
        self._depth = threading.local()  # per thread: table name -> nested writes

    @os_errors
    def file_for(self, path: str) -> Path:
        """The JSONL file that holds ``path`` (validated; the table need not exist)."""
        return self._locate(path).file

    @os_errors
    def write(self, path: str, rows: Iterable[Mapping[str, Any]], *, append: bool = False) -> int:
        """Replace (or append to) the table; see ``YtClient.write_table`` for the guarantees."""
        with self._writing([path]) as [table]:
            if append and table.file.exists():
                return self._append(table, rows)
            with atomic_replace(table.file) as handle:
                count = write_rows(handle, rows, table=table.path)
            save_counted(self.meta, table, TableMeta(path=table.path), count)
            return count

    @os_errors
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
            staged: list[tuple[Located, Path | None, Sequence[Path], int]] = []
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
                save_counted(
                    self.meta, table, TableMeta(path=table.path, sorted_by=sorted_by), rows
                )

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

    @os_errors
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

    @os_errors
    def exists(self, path: str) -> bool:
        """True only if this logical path has a table (not another path with the same name)."""
        try:
            table = self._locate(path)
        except PathConflict:
            return False
        self._clean_after_dead_writer(table)
        return check_regular(table.path, table.file)

    @os_errors
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

    @os_errors
    def row_count(self, path: str) -> int:
        """Rows in the table, from metadata when current, else counted at C speed."""
        table = self._locate(path)
        self._clean_after_dead_writer(table)
        snapshot = self._snapshot(table)
        if snapshot is None:
            raise self._not_found(table)
        with snapshot.raw:
            return self._count_snapshot(table, snapshot)

    @os_errors
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

    @os_errors
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

    @os_errors
    def tables(self) -> list[TableInfo]:
        """Every JSONL table under ``.dev/``, sorted by file name (temp files are no tables)."""
        for name in leftovers(self.dev_dir):
            self._clean_after_dead_writer(Located(name, name, self._file(name), None, False))
        found: list[TableInfo] = []
        for file in sorted(self.dev_dir.glob(f"*{TABLE_SUFFIX}")):
            if is_leftover(file.name):
                continue
            name = file.name.removesuffix(TABLE_SUFFIX)
            meta = self.meta.load(name)
            table = Located(meta.path if meta else str(file), name, file, meta, meta is not None)
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

    def _locate(self, path: str) -> Located:
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
        return Located(path, name, file, meta)

    # --- writing (under the table's lock) ------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, paths: Sequence[str]) -> Generator[list[Located], None, None]:
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
                        undo_dead_writer(self.meta, self.dev_dir, table)
                yield located
            finally:
                for name in names:
                    depth[name] -= 1

    def _append(self, table: Located, rows: Iterable[Mapping[str, Any]]) -> int:
        return journaled_append(
            self.meta, table, lambda handle: write_rows(handle, rows, table=table.path)
        )

    def _append_files(self, table: Located, parts: Sequence[Path], rows: int) -> None:
        def copy(handle: BinaryIO) -> int:
            concatenate(parts, handle)
            return rows

        journaled_append(self.meta, table, copy)

    # --- reading (no lock: never waits for a writer) -------------------------------------------

    def _snapshot(self, table: Located) -> Snapshot | None:
        return take_snapshot(self.meta, table, self._clean_after_dead_writer)

    def _rows(self, table: Located) -> Iterator[dict[str, Any]]:
        try:
            snapshot = self._snapshot(table)
            if snapshot is None:  # removed since ``read`` checked
                raise self._not_found(table)
            yield from read_rows(
                open_prefix(snapshot.raw, snapshot.limit), path=table.file, table=table.path
            )
        except OSError as error:
            raise from_os_error(table.path, error) from None

    def _count_snapshot(self, table: Located, snapshot: Snapshot) -> int:
        known = snapshot.known_count()
        if known is not None:
            return known
        count = snapshot.count()
        if snapshot.meta is None or snapshot.meta.append_from is None:
            self._update_meta(
                table,
                lambda fresh: _set_count(fresh, count, snapshot),
                check=True,
                expect=snapshot.meta_raw,
            )
        return count

    def _update_meta(
        self,
        table: Located,
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
        if self.locks.held_here(table.name):
            self._change_meta(table, change, check=check, expect=expect)
            return
        with self.locks.probe(table.name) as free:
            if free:
                self._change_meta(table, change, check=check, expect=expect)

    def _change_meta(
        self,
        table: Located,
        change: Callable[[TableMeta], None],
        *,
        check: bool,
        expect: bytes | None,
    ) -> None:
        raw = self.meta.read_raw(table.name)
        if check and raw != expect:
            return
        meta = parse_meta(raw)
        if meta is not None and (meta.path != table.path or meta.append_from is not None):
            return
        meta = meta or TableMeta(path=table.path)
        change(meta)
        self.meta.save(table.name, meta)

    def _clean_after_dead_writer(self, table: Located) -> bool:
        return clean_after_dead_writer(self.meta, self.locks, self.dev_dir, table)

    def _not_found(self, table: Located) -> TableNotFound:
        return TableNotFound(
            table.path,
            hint=f"dev looked for {table.file}; write the table first, or run "
            "`ytflow tables` to list the tables that exist",
        )


def _set_count(meta: TableMeta, rows: int, snapshot: Snapshot) -> None:
    meta.rows, meta.size, meta.mtime_ns = rows, snapshot.size, snapshot.mtime_ns
