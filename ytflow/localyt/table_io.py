"""Table rows in and out of chunks, with YPath ranges and columns, in YT's key order.

Commands and operations share this: reading a table (row-index and key ranges, column
selection, control rows), writing rows to a chunk, and comparing keys as YT does (by type
first: null < int64 < uint64 < double < boolean < string < any).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ytflow.localyt.chunks import ChunkStore
from ytflow.localyt.cypress_nodes import Chunk, Node
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import SORT_ORDER_VIOLATION, YtLocalError

WRITE_BATCH = 8192


def chunk_rows(store: ChunkStore, chunk: Chunk) -> Iterator[Any]:
    """The rows of one table chunk (strings as bytes), parsed as they are read.

    Streaming keeps a large read's memory flat; plain dicts and bytes (no YSON wrapper
    objects unless a value has attributes) parse and re-serialize several times faster.
    """
    with store.path(chunk).open("rb") as handle:
        yield from yson().load(
            handle, yson_type="list_fragment", encoding=None, always_create_attributes=False
        )


def table_rows(store: ChunkStore, node: Node) -> Iterator[Any]:
    for chunk in node.chunks:
        yield from chunk_rows(store, chunk)


def last_row(store: ChunkStore, node: Node) -> Any:
    """The table's last row (None if empty), reading only its last non-empty chunk: what a
    sorted append compares against."""
    for chunk in reversed(node.chunks):
        if chunk.rows:
            last = None
            for row in chunk_rows(store, chunk):
                last = row
            return last
    return None


def write_chunk(store: ChunkStore, rows: Iterable[Any]) -> Chunk:
    """Write rows as one binary-YSON chunk; the count is recorded for ``row_count``."""
    count = 0

    def blocks() -> Iterator[bytes]:
        nonlocal count
        batch: list[Any] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= WRITE_BATCH:
                count += len(batch)
                yield yson().dumps(batch, yson_format="binary", yson_type="list_fragment")
                batch = []
        if batch:
            count += len(batch)
            yield yson().dumps(batch, yson_format="binary", yson_type="list_fragment")

    chunk = store.write(blocks())
    chunk.rows = count
    return chunk


# -- keys -------------------------------------------------------------------------------------


def value_key(value: Any) -> tuple[int, Any]:  # noqa: PLR0911 - one flat dispatch
    """A Python-comparable key with YT's order across types."""
    if value is None or isinstance(value, yson().YsonEntity):
        return (0, 0)
    if isinstance(value, bool | yson().YsonBoolean):  # YsonBoolean is an int, not a bool
        return (5, bool(value))
    if isinstance(value, yson().YsonUint64):
        return (2, int(value))
    if isinstance(value, int):
        return (1, value)
    if isinstance(value, float):
        return (4, 0) if math.isnan(value) else (3, value)
    if isinstance(value, bytes):
        return (6, value)
    if isinstance(value, str):
        return (6, value.encode())
    return (7, yson().dumps(value, yson_format="binary"))


def row_key(row: Any, columns: Sequence[bytes]) -> tuple[tuple[int, Any], ...]:
    return tuple(value_key(row.get(column)) for column in columns)


def check_sorted(rows: Iterable[Any], columns: Sequence[bytes], what: str) -> Iterator[Any]:
    """Pass rows through, failing (code 301) at the first one out of order."""
    previous: tuple[tuple[int, Any], ...] | None = None
    for index, row in enumerate(rows):
        key = row_key(row, columns)
        if previous is not None and key < previous:
            names = ", ".join(column.decode() for column in columns)
            raise YtLocalError(
                f"Sort order violation in {what}: row {index} is less than the row before it "
                f"by ({names})",
                code=SORT_ORDER_VIOLATION,
                attributes={"row_index": index, "sort_columns": names},
            )
        previous = key
        yield row


# -- ranges and columns ---------------------------------------------------------------------


def select_rows(
    store: ChunkStore,
    node: Node,
    attributes: dict[str, Any],
    *,
    control: dict[str, Any] | None = None,
    table_index: int | None = None,
) -> Iterator[Any]:
    """The rows a rich path selects, in order, with control rows if asked for."""
    control = control or {}
    columns: list[Any] | None = attributes.get("columns")
    wanted = {str(name).encode() for name in columns} if columns is not None else None
    ranges: list[Any] = list(attributes.get("ranges") or [{}])
    sort_names: list[Any] = list(node.attributes.get("sorted_by") or [])
    sorted_by = [str(name).encode() for name in sort_names]
    total = sum(chunk.rows for chunk in node.chunks)
    for range_index, spec in enumerate(ranges):
        lower, upper, key_lower, key_upper = _bounds(spec, total, sorted_by)
        first = True
        for row_index, row in enumerate(table_rows(store, node)):
            if row_index < lower:
                continue
            if row_index >= upper:
                break
            if key_lower is not None and row_key(row, sorted_by[: len(key_lower)]) < key_lower:
                continue
            if key_upper is not None and _past_upper(row, sorted_by, key_upper):
                break
            if first:
                yield from _control_rows(control, range_index, row_index, table_index)
                first = False
            yield (
                {key: value for key, value in row.items() if key in wanted}
                if wanted is not None
                else row
            )


def _past_upper(row: Any, sorted_by: list[bytes], upper: tuple[tuple[Any, ...], bool]) -> bool:
    key = row_key(row, sorted_by[: len(upper[0])])
    return key > upper[0] if upper[1] else key >= upper[0]


def _control_rows(
    control: dict[str, Any], range_index: int, row_index: int, table_index: int | None
) -> Iterator[Any]:
    entity = yson().YsonEntity
    if control.get("enable_table_index") and table_index is not None:
        marker = entity()
        marker.attributes["table_index"] = table_index
        yield marker
    if control.get("enable_range_index"):
        marker = entity()
        marker.attributes["range_index"] = range_index
        yield marker
    if control.get("enable_row_index"):
        marker = entity()
        marker.attributes["row_index"] = row_index
        yield marker


def _bounds(
    spec: Any, total: int, sorted_by: list[bytes]
) -> tuple[int, int, tuple[Any, ...] | None, tuple[tuple[Any, ...], bool] | None]:
    """Row-index bounds and key bounds (upper: key and whether it is inclusive) of a range."""
    lower, upper = 0, total
    key_lower: tuple[Any, ...] | None = None
    key_upper: tuple[tuple[Any, ...], bool] | None = None
    exact = spec.get("exact")
    limits = [("lower_limit", spec.get("lower_limit")), ("upper_limit", spec.get("upper_limit"))]
    if exact is not None:
        limits = [("exact", exact)]
    for name, limit in limits:
        if not limit:
            continue
        unknown = set(limit) - {"row_index", "key"}
        if unknown:
            raise YtLocalError(
                f"local-yt does not support range limits by {', '.join(sorted(unknown))}"
            )
        if "row_index" in limit:
            index = int(limit["row_index"])
            if name == "exact":
                lower, upper = max(lower, index), min(upper, index + 1)
            elif name == "lower_limit":
                lower = max(lower, index)
            else:
                upper = min(upper, index)
        if "key" in limit:
            if not sorted_by:
                raise YtLocalError(
                    "Key ranges need a sorted table", attributes={"range": str(spec)}
                )
            key = tuple(value_key(value) for value in limit["key"] if not _is_sentinel(value))
            if name in ("lower_limit", "exact"):
                key_lower = key
            if name in ("upper_limit", "exact"):
                key_upper = (key, name == "exact" or any(_is_sentinel(v) for v in limit["key"]))
    return lower, upper, key_lower, key_upper


def _is_sentinel(value: Any) -> bool:
    return isinstance(value, yson().YsonEntity) and value.attributes.get("type") in ("max", "min")
