"""Rows to JSON lines, checked as the cluster would check them: the one encoder both backends use.

Dev appends the lines to a table's JSONL file; prod streams the same bytes to ``write_table``
in ``<encode_utf8=%false>json``. So a row the cluster would refuse (not a dict, a value JSON
cannot hold, NaN, nesting past YSON's depth limit, over 16 MiB) raises the same ``RowError``,
naming the row index and column, in both modes before anything of it is written.

The loop is the hot path of every write, so it stays flat: one ``isinstance`` and one orjson
call per row; diagnosis happens only after a failure.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

import orjson

from ytflow.errors import RowError

# The cluster's default limit on one row's weight (table writer max_row_weight): 16 MiB.
MAX_ROW_WEIGHT = 16 * 1024 * 1024
# How deeply lists and dicts may nest, counting the row itself. The cluster's YSON parser
# refuses the 256th level ("Depth limit exceeded while parsing YSON": yt/core/yson/public.h,
# DefaultYsonParserNestingLevelLimit = NewNestingLevelLimit = 256); dev's JSON encoder stops
# one level earlier, so dev refuses rows nested 255 or more levels deep.
MAX_NESTING_DEPTH = 254

_BUFFER_BYTES = 1 << 20  # encoded rows are written (and checked) a megabyte at a time

# Datetimes and dataclasses are refused rather than silently turned into strings and dicts:
# the cluster's YSON writer would refuse them too.
_OPTIONS = (
    orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


class RowEncoder:
    """Encode rows into buffers of JSON lines; ``count`` is how many rows were encoded."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.count = 0

    def chunks(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
        """Yield ``rows`` as JSON lines, about a megabyte per chunk, each ending a row.

        Raises ``RowError`` naming the row index (from 0) and column for a row that cannot be
        stored, before any byte of the chunk holding it is yielded.
        """
        table = self.table
        if isinstance(rows, Mapping):
            raise RowError(
                table,
                0,
                "rows must be an iterable of dicts, got a single dict",
                hint="wrap it in a list: rows=[row]",
            )
        dumps = orjson.dumps
        buffer = bytearray()
        batch: list[Any] = []  # the rows in ``buffer``, to name a culprit found per buffer
        extend, keep = buffer.extend, batch.append
        index = -1
        for index, row in enumerate(rows):
            if type(row) is not dict:
                row = _as_dict(table, index, row)  # noqa: PLW2901 - orjson encodes plain dicts only
            try:
                line = dumps(row, option=_OPTIONS)
            except TypeError as error:
                raise _diagnose(table, index, cast("Mapping[Any, Any]", row), error) from None
            if len(line) > MAX_ROW_WEIGHT:
                raise RowError(
                    table,
                    index,
                    f"row weight {len(line)} bytes exceeds the limit of {MAX_ROW_WEIGHT} bytes",
                    hint="the cluster refuses rows over 16 MiB; split the value across rows",
                )
            extend(line)
            keep(row)
            if len(buffer) >= _BUFFER_BYTES:
                yield _checked(buffer, batch, table, first_index=index + 1 - len(batch))
                self.count = index + 1
        if buffer:
            yield _checked(buffer, batch, table, first_index=index + 1 - len(batch))
        self.count = index + 1


def _checked(buffer: bytearray, batch: list[Any], table: str, *, first_index: int) -> bytes:
    """The buffered rows as bytes, after a buffer-wide check for NaN and infinity."""
    if b"null" in buffer:  # orjson writes NaN and infinity as null; only then look closer
        for offset, line in enumerate(buffer.split(b"\n")[: len(batch)]):
            if b"null" in line:
                _refuse_non_finite(table, first_index + offset, batch[offset])
    data = bytes(buffer)
    buffer.clear()
    batch.clear()
    return data


def _as_dict(table: str, index: int, row: object) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        raise RowError(
            table, index, f"a row must be a dict, got {type(row).__name__}: {_preview(row)}"
        )
    return dict(cast("Mapping[str, Any]", row))


def _diagnose(table: str, index: int, row: Mapping[Any, Any], error: TypeError) -> RowError:
    """Find the column that orjson refused, so the error can name it."""
    if "recursion" in str(error).lower():
        return _too_deep(table, index, row)
    for key, value in row.items():
        if not isinstance(key, str):
            return RowError(
                table,
                index,
                f"column names must be strings, got {type(key).__name__} {key!r}",
                column=repr(key),
            )
        try:
            orjson.dumps(value, option=_OPTIONS)
        except TypeError as column_error:
            return RowError(
                table,
                index,
                f"value {_preview(value)} of type {type(value).__name__} cannot be stored "
                f"({column_error})",
                column=key,
                hint="use str, int, float, bool, None, lists and dicts of those",
            )
    return RowError(table, index, f"cannot be encoded as JSON ({error})")


def _too_deep(table: str, index: int, row: Mapping[Any, Any]) -> RowError:
    """The error for a row nested deeper than the cluster allows, naming the deepest column."""
    column = max(row, key=lambda key: _depth(row[key]), default=None)
    return RowError(
        table,
        index,
        f"lists and dicts nest more than {MAX_NESTING_DEPTH} levels deep (counting the row); "
        "the cluster refuses values nested that deeply",
        column=None if column is None else str(column),
        hint="flatten the value, or store it as a JSON string",
    )


def _depth(value: Any) -> int:
    """How many containers nest in ``value`` (iterative: any depth, no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = cast("dict[Any, Any]", item).values()
        elif isinstance(item, list | tuple):
            children = cast("list[Any]", item)
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_NESTING_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _refuse_non_finite(table: str, index: int, row: Mapping[str, Any]) -> None:
    for column, value in row.items():
        if _has_non_finite(value):
            raise RowError(
                table,
                index,
                f"value {_preview(value)} holds NaN or infinity, which JSON cannot represent "
                "(it would be stored as null)",
                column=column,
                hint="store None, or a sentinel such as a very large number or a string",
            )


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(item) for item in cast("dict[Any, Any]", value).values())
    if isinstance(value, list | tuple):
        return any(_has_non_finite(item) for item in cast("list[Any]", value))
    return False


_REPR = reprlib.Repr()  # keyword arguments only from Python 3.12
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 4, 60, 60


def _preview(value: object) -> str:
    """A short repr; bounded in depth, so even a pathologically nested value is safe."""
    text = _REPR.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
