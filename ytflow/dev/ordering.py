"""YT's sort order for schemaless values, so dev sorts rows exactly as the cluster would.

YT compares values of different types by type first: null (a missing column reads as null)
< int64 < uint64 < double < boolean < string < any (lists and dicts); within a type by value.
``value_key`` maps a value to a ``(rank, payload)`` tuple whose Python order is that order,
so the built-in (stable) sort and ``heapq.merge`` can do the work at C speed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import orjson

from ytflow.errors import UsageError

RowKey = tuple[tuple[int, Any], ...]

# Ranks follow YT's EValueType order. NaN gets a rank of its own just above every other
# double: YT's comparator puts NaN after all doubles (and NaNs equal to each other), which a
# float payload cannot express because NaN is unordered in Python.
_NULL = 0
_INT64 = 1
_UINT64 = 2
_DOUBLE = 3
_DOUBLE_NAN = 4
_BOOLEAN = 5
_STRING = 6
_ANY = 7

_UINT64_START = 2**63  # JSON integers at or above this are read as uint64
_NULL_KEY = (_NULL, 0)
_NAN_KEY = (_DOUBLE_NAN, 0)


def value_key(value: Any) -> tuple[int, Any]:  # noqa: PLR0911 - one flat dispatch
    """A sort key for one value: keys of two values compare as YT compares the values.

    Composite values (lists, dicts) are ordered by their canonical JSON bytes, a deterministic
    stand-in for YT's YSON comparison.
    """
    cls = type(value)  # pyright: ignore[reportUnknownVariableType] - value is Any
    # Exact-type checks first: they are the per-row hot path, and ``bool`` is an ``int``.
    if cls is str:
        return (_STRING, value)
    if cls is int:
        return (_INT64, value) if value < _UINT64_START else (_UINT64, value)
    if cls is float:
        return (_DOUBLE, value) if value == value else _NAN_KEY  # noqa: PLR0124 - NaN test
    if value is None:
        return _NULL_KEY
    if cls is bool:
        return (_BOOLEAN, value)
    if cls is dict or cls is list:
        return (_ANY, _canonical(value))
    return _subclass_key(value)


def row_key(columns: Sequence[str]) -> Callable[[Mapping[str, Any]], RowKey]:
    """A key function ordering rows by ``columns`` in YT order (missing columns as null).

    Built once per sort and called once per row, so it is specialised for short keys.
    """
    names = checked_columns(columns)
    key = value_key
    if len(names) == 1:
        (first,) = names

        def one(row: Mapping[str, Any]) -> RowKey:
            return (key(row.get(first)),)

        return one
    if len(names) == 2:
        first, second = names

        def two(row: Mapping[str, Any]) -> RowKey:
            get = row.get
            return (key(get(first)), key(get(second)))

        return two

    def many(row: Mapping[str, Any]) -> RowKey:
        return tuple(map(key, map(row.get, names)))

    return many


def check_sorted(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> int | None:
    """The 0-based index of the first row smaller than its predecessor, or None if sorted.

    Equal neighbours are sorted: YT's sort order is not strict.
    """
    key_of = row_key(columns)
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return None
    previous = key_of(first)
    for index, row in enumerate(iterator, 1):
        current = key_of(row)
        if current < previous:
            return index
        previous = current
    return None


def checked_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The sort columns as a tuple; refuses what YT's sort_by refuses, and a bare string that
    would sort by its letters."""
    if isinstance(columns, str):
        raise UsageError(
            f"sort columns must be a list of column names, got the string {columns!r}",
            hint=f"write [{columns!r}]",
        )
    names = tuple(columns)
    if not names:
        raise UsageError("sort columns must not be empty", hint="name at least one column")
    for name in names:
        if not isinstance(name, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise UsageError(f"sort column names must be strings, got {name!r}")
    if len(set(names)) != len(names):
        raise UsageError(f"sort columns {list(names)} name a column twice")
    return names


def _canonical(value: Any) -> bytes:
    """Canonical JSON bytes of a composite value: sorted keys, no whitespace."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # orjson refuses integers beyond 64 bits (and non-str keys); json takes them.
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "surrogatepass")


def _subclass_key(value: object) -> tuple[int, Any]:
    """The slow path for subclasses (an IntEnum, a str subclass) and tuples."""
    if isinstance(value, bool):
        return (_BOOLEAN, bool(value))
    if isinstance(value, int):
        number = int(value)
        return (_INT64, number) if number < _UINT64_START else (_UINT64, number)
    if isinstance(value, float):
        number = float(value)
        return _NAN_KEY if math.isnan(number) else (_DOUBLE, number)
    if isinstance(value, str):
        return (_STRING, str(value))
    if isinstance(value, Mapping | list | tuple):
        if isinstance(value, Mapping):
            return (_ANY, _canonical(dict(cast("Mapping[Any, Any]", value))))
        return (_ANY, _canonical(value))
    raise TypeError(
        f"cannot order a value of type {type(value).__name__}: {value!r:.80}; "
        "YT tables hold null, numbers, booleans, strings, lists and dicts"
    )
