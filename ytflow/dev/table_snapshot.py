"""What a reader sees of a table: the file as its last finished write left it.

Readers take no lock. Writers change a table's metadata before and after every in-place
change (an append's journal), and a replace is a rename; so two equal reads of the metadata
around opening the file make a consistent view. If that view shows an append in flight, only
the bytes before it are the table, as on YT, where a reader never sees an unfinished write.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass

from ytflow.dev.files import count_rows, open_prefix
from ytflow.dev.metadata import MetaStore, TableMeta, parse_meta
from ytflow.dev.table_files import not_a_table_file
from ytflow.dev.table_journal import Located
from ytflow.errors import DevStoreError

# Attempts before giving up on a table whose metadata never holds still.
_ATTEMPTS = 1000


@dataclass
class Snapshot:
    """An open table file and how much of it is committed content."""

    raw: io.FileIO  # unbuffered, at offset 0; the caller closes it
    limit: int
    size: int
    mtime_ns: int
    meta: TableMeta | None
    meta_raw: bytes | None

    def known_count(self) -> int | None:
        """The committed row count if the metadata holds it, else None."""
        meta = self.meta
        if meta is None or meta.rows is None:
            return None
        if meta.append_from is None and meta.count_is_current(self.size, self.mtime_ns):
            return meta.rows
        if meta.append_from is not None and meta.size == meta.append_from:
            return meta.rows  # the count taken when the append started
        return None

    def count(self) -> int:
        """Count the committed rows at C speed (closes the file)."""
        with open_prefix(self.raw, self.limit) as handle:
            return count_rows(handle)


def take_snapshot(
    metas: MetaStore, table: Located, undo_dead_append: Callable[[Located], bool]
) -> Snapshot | None:
    """Open the table and find its committed length, or None if it does not exist.

    ``undo_dead_append`` rolls back an append whose writer is dead (True if it did); an
    append whose writer is alive is left alone and cut from the view.
    """
    for _ in range(_ATTEMPTS):
        before = metas.read_raw(table.name)
        try:
            raw = table.file.open("rb", buffering=0)
        except FileNotFoundError:
            if metas.read_raw(table.name) == before:
                return None
            continue
        except IsADirectoryError:
            raise not_a_table_file(table.path, table.file, "a directory") from None
        stat = os.fstat(raw.fileno())
        after = metas.read_raw(table.name)
        if after != before:
            raw.close()
            continue
        meta = parse_meta(after)
        limit = stat.st_size
        if meta is not None and meta.append_from is not None:
            if undo_dead_append(table):
                raw.close()
                continue
            limit = min(meta.append_from, stat.st_size)
        return Snapshot(raw, limit, stat.st_size, stat.st_mtime_ns, meta, after)
    raise DevStoreError(
        f"dev table {table.path}: its metadata kept changing while it was being opened",
        hint="another process is writing it in a tight loop; retry when it is done",
    )
