"""Table metadata kept beside the JSONL (``.dev/.meta/<name>.json``), never inside the rows.

One small JSON file per table records the logical path that owns the file (the path
registry), the cached row count with the file size and mtime it was counted at, the sort
columns, room for a schema, and an append journal so an interrupted append can be undone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson

from ytflow.dev.files import atomic_write_bytes

META_DIR_NAME = ".meta"


@dataclass
class TableMeta:
    """What the dev backend knows about one table beyond its rows."""

    path: str
    rows: int | None = None
    size: int | None = None
    mtime_ns: int | None = None
    sorted_by: list[str] | None = None
    schema: list[dict[str, Any]] | None = None
    # Byte length before an append started; set only while that append is in flight.
    append_from: int | None = None
    extra: dict[str, Any] = field(default_factory=dict[str, Any])

    def count_is_current(self, size: int, mtime_ns: int) -> bool:
        """True if the cached row count was taken of the file as it is now."""
        return self.rows is not None and self.size == size and self.mtime_ns == mtime_ns


class MetaStore:
    """Reads and atomically writes the per-table metadata files."""

    def __init__(self, dev_dir: Path) -> None:
        self.directory = dev_dir / META_DIR_NAME

    def file_for(self, name: str) -> Path:
        """The metadata file of the table with base name ``name``."""
        return self.directory / f"{name}.json"

    def load(self, name: str) -> TableMeta | None:
        """The table's metadata, or None if it has none (or it is unreadable)."""
        return parse_meta(self.read_raw(name))

    def read_raw(self, name: str) -> bytes | None:
        """The metadata file's bytes, or None if there is none.

        Every save replaces the file atomically, so two equal reads bracket a moment in which
        no writer changed the table's metadata (see ``DevTableStore``'s snapshots).
        """
        try:
            return self.file_for(name).read_bytes()
        except FileNotFoundError:
            return None

    def save(self, name: str, meta: TableMeta) -> None:
        """Replace the table's metadata atomically."""
        atomic_write_bytes(
            self.file_for(name), orjson.dumps(asdict(meta), option=orjson.OPT_INDENT_2)
        )

    def delete(self, name: str) -> None:
        """Forget the table: frees its base name for another logical path."""
        self.file_for(name).unlink(missing_ok=True)


def parse_meta(raw: bytes | None) -> TableMeta | None:
    """Metadata from a metadata file's bytes; None if absent or unreadable (hand-edited)."""
    if raw is None:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    fields = cast("dict[str, Any]", data)
    if not isinstance(fields.get("path"), str):
        return None
    known = {key: value for key, value in fields.items() if key in TableMeta.__dataclass_fields__}
    try:
        return TableMeta(**known)
    except TypeError:
        return None
