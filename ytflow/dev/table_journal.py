"""One table's file and metadata kept in step by its writer (who holds the table's lock).

The metadata caches the row count with the file size and mtime it was taken at, and, while
an append runs in place, the journal: the file's length before the append. A failed append
is cut back to that length at once; a killed one by the next access that finds its lock free.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ytflow.dev.files import count_lines, ends_with_newline
from ytflow.dev.metadata import MetaStore, TableMeta
from ytflow.dev.table_files import leftovers, remove_leftovers
from ytflow.dev.table_locks import TableLocks


@dataclass
class Located:
    """A table path resolved to its base name, file and metadata (as last loaded)."""

    path: str
    name: str
    file: Path
    meta: TableMeta | None
    registered: bool = True  # False for a JSONL file no ytflow write has registered


def save_counted(metas: MetaStore, table: Located, meta: TableMeta, rows: int) -> None:
    """Store ``meta`` with ``rows`` as the count of the file as it is now."""
    stat = table.file.stat()
    meta.rows, meta.size, meta.mtime_ns = rows, stat.st_size, stat.st_mtime_ns
    metas.save(table.name, meta)
    table.meta = meta


def count(metas: MetaStore, table: Located) -> int:
    """The file's row count, from the metadata when current, else counted and stored."""
    stat = table.file.stat()
    if table.meta is not None and table.meta.count_is_current(stat.st_size, stat.st_mtime_ns):
        assert table.meta.rows is not None
        return table.meta.rows
    rows = count_lines(table.file)
    save_counted(metas, table, table.meta or TableMeta(path=table.path), rows)
    return rows


def journaled_append(metas: MetaStore, table: Located, write: Callable[[BinaryIO], int]) -> int:
    """Append what ``write`` writes (returning its row count) in place, journaled: any
    failure, even a crash, rolls the file back so no partial row is ever visible, and
    readers meanwhile see the file up to the journal's length, the table before the append.
    """
    existing = count(metas, table)  # stored, so readers know the count before the append
    meta = table.meta or TableMeta(path=table.path)
    original_size = table.file.stat().st_size
    meta.append_from = original_size
    metas.save(table.name, meta)
    try:
        with table.file.open("ab", buffering=1 << 20) as handle:
            if not ends_with_newline(table.file):
                handle.write(b"\n")
            rows = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        undo_append(metas, table, original_size)
        raise
    meta.append_from = None
    meta.sorted_by = None  # appended rows carry no sort guarantee
    save_counted(metas, table, meta, existing + rows)
    return rows


def undo_append(metas: MetaStore, table: Located, original_size: int) -> None:
    """Cut the file back to ``original_size`` and clear the journal (its writer is gone)."""
    if table.file.exists() and table.file.stat().st_size > original_size:
        os.truncate(table.file, original_size)
    meta = table.meta or TableMeta(path=table.path)
    meta.append_from = None
    metas.save(table.name, meta)
    table.meta = meta


def undo_dead_writer(metas: MetaStore, dev_dir: Path, table: Located) -> None:
    """Roll back an append journal and delete temps; call holding the table's lock (so
    whoever left them is dead)."""
    if table.meta is not None and table.meta.append_from is not None:
        undo_append(metas, table, table.meta.append_from)
    remove_leftovers(leftovers(dev_dir, table.name).get(table.name, []))


def clean_after_dead_writer(
    metas: MetaStore, locks: TableLocks, dev_dir: Path, table: Located
) -> bool:
    """For a reader: undo a dead writer's append and delete its temps, if there are any and
    the table's lock is free (a live writer's are left alone); True if an append was undone."""
    meta = metas.load(table.name)
    journal = meta is not None and meta.append_from is not None
    if not journal and not leftovers(dev_dir, table.name):
        return False
    with locks.probe(table.name) as free:
        if not free:
            return False
        meta = metas.load(table.name)  # as it is now that no writer can change it
        if meta is None or meta.append_from is None:
            remove_leftovers(leftovers(dev_dir, table.name).get(table.name, []))
            return False
        undo_dead_writer(metas, dev_dir, Located(meta.path, table.name, table.file, meta))
        return True
