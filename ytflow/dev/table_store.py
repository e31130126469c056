"""Dev tables: logical YT paths stored as JSONL files under ``.dev/``.

``//tmp/my_pipeline/data`` lives in ``.dev/data.jsonl``. Because only the base name survives,
the store keeps a registry (the ``path`` in each table's metadata) and refuses a second
logical path with the same base name instead of overwriting the first table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ytflow.dev.files import (
    atomic_replace,
    concatenate,
    count_lines,
    ends_with_newline,
    fsync_directory,
)
from ytflow.dev.metadata import MetaStore, TableMeta
from ytflow.dev.rows import read_rows, write_rows
from ytflow.errors import PathConflict, TableNotFound, YtPathError
from ytflow.paths import table_name, validate_table_path

TABLE_SUFFIX = ".jsonl"


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


class DevTableStore:
    """The ``.dev/`` folder as a table store: atomic writes, streamed reads, cheap counts."""

    def __init__(self, dev_dir: Path) -> None:
        self.dev_dir = dev_dir
        self.meta = MetaStore(dev_dir)
        self._resolved_dir = dev_dir.resolve()

    def file_for(self, path: str) -> Path:
        """The JSONL file that holds ``path`` (validated; the table need not exist)."""
        return self._locate(path).file

    def write(self, path: str, rows: Iterable[Mapping[str, Any]], *, append: bool = False) -> int:
        """Replace (or append to) the table; see ``YtClient.write_table`` for the guarantees."""
        table = self._locate(path)
        if append and table.file.exists():
            return self._append(table, rows)
        with atomic_replace(table.file) as handle:
            count = write_rows(handle, rows, table=table.path)
        self._save_counted(table, TableMeta(path=table.path), count)
        return count

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
        tables = [(self._locate(path), parts, rows) for path, parts, rows in outputs]
        staged: list[tuple[_Located, Path | None, Sequence[Path], int]] = []
        try:
            for table, parts, rows in tables:
                if append and table.file.exists():
                    staged.append((table, None, parts, rows))
                elif len(parts) == 1 and ends_with_newline(parts[0]):
                    staged.append((table, parts[0], parts, rows))
                else:
                    with atomic_replace(table.file.with_name(f".{table.name}.staged")) as handle:
                        concatenate(parts, handle)
                    staged.append(
                        (table, table.file.with_name(f".{table.name}.staged"), parts, rows)
                    )
        except BaseException:
            for _table, temp, _, _ in staged:
                if temp is not None and temp.name.endswith(".staged"):
                    temp.unlink(missing_ok=True)
            raise
        for table, temp, parts, rows in staged:
            if temp is None:
                self._append_files(table, parts, rows)
                continue
            temp.replace(table.file)
            fsync_directory(table.file.parent)
            self._save_counted(table, TableMeta(path=table.path, sorted_by=sorted_by), rows)

    def read(self, path: str) -> Iterator[dict[str, Any]]:
        """Stream the table's rows; raises ``TableNotFound`` before the first row if missing."""
        table = self._locate(path)
        if not table.file.is_file():
            raise self._not_found(table)
        return read_rows(table.file, table=table.path)

    def exists(self, path: str) -> bool:
        """True only if this logical path has a table (not another path with the same name)."""
        try:
            table = self._locate(path)
        except PathConflict:
            return False
        return table.file.is_file()

    def remove(self, path: str, *, force: bool = False) -> None:
        """Delete the table and its metadata, freeing the base name."""
        try:
            table = self._locate(path)
        except PathConflict:
            if force:  # the cluster has no table at this path, and force ignores that
                return
            raise
        if not table.file.is_file():
            if force:
                self.meta.delete(table.name)
                return
            raise self._not_found(table)
        table.file.unlink()
        self.meta.delete(table.name)

    def row_count(self, path: str) -> int:
        """Rows in the table, from metadata when current, else counted at C speed."""
        table = self._locate(path)
        if not table.file.is_file():
            raise self._not_found(table)
        return self._count(table)

    def sorted_by(self, path: str) -> list[str] | None:
        """The columns the table is known to be sorted by, or None.

        The claim holds only for the file as it was when it was recorded: a table edited by
        hand since then (size or mtime changed) is no longer known to be sorted.
        """
        table = self._locate(path)
        if table.meta is None or not table.file.is_file():
            return None
        stat = table.file.stat()
        if not table.meta.count_is_current(stat.st_size, stat.st_mtime_ns):
            return None
        return table.meta.sorted_by

    def cached(self, path: str, key: str, compute: Callable[[], Any]) -> Any:
        """A value derived from the table's content, kept in its metadata until it changes.

        The value is recomputed whenever the file's size or mtime differ from when it was
        stored (e.g. the dev YQL engine's inferred column types).
        """
        table = self._locate(path)
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
        meta.extra[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "value": value}
        self.meta.save(table.name, meta)
        table.meta = meta
        return value

    def tables(self) -> list[TableInfo]:
        """Every JSONL table under ``.dev/``, sorted by file name."""
        found: list[TableInfo] = []
        for file in sorted(self.dev_dir.glob(f"*{TABLE_SUFFIX}")):
            name = file.name.removesuffix(TABLE_SUFFIX)
            meta = self.meta.load(name)
            if meta is None:
                found.append(TableInfo(None, file, count_lines(file), file.stat().st_size))
                continue
            table = self._locate(meta.path)
            found.append(TableInfo(meta.path, file, self._count(table), file.stat().st_size))
        return found

    def _locate(self, path: str) -> _Located:
        path = validate_table_path(path)
        name = table_name(path)
        file = self.dev_dir / f"{name}{TABLE_SUFFIX}"
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
        located = _Located(path, name, file, meta)
        if meta is not None and meta.append_from is not None:
            self._undo_interrupted_append(located, meta.append_from)
        return located

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
        failure, even a crash, roll the file back so no partial row is ever visible.
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

    def _not_found(self, table: _Located) -> TableNotFound:
        return TableNotFound(
            table.path,
            hint=f"dev looked for {table.file}; write the table first, or run "
            "`ytflow tables` to list the tables that exist",
        )
