"""Fuzzing the dev table store with ``hypothesis``: random table paths and random rows.

Every input gets correct handling or a ytflow error: never a raw Python exception, never a
file outside ``.dev/``, and a refused write leaves the table exactly as it was.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytflow.client.row_encoding import MAX_NESTING_DEPTH
from ytflow.dev.client import DevClient
from ytflow.errors import RowError, YtflowError

# A quick pass by default; YTFLOW_FUZZ_EXAMPLES=2000 for a thorough one.
SETTINGS = settings(
    max_examples=int(os.environ.get("YTFLOW_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_YPATH_SYNTAX = "<>[]{}@&*\\"
_component = st.one_of(
    st.text(min_size=0, max_size=12),
    st.text(alphabet="abc._-/" + _YPATH_SYNTAX, max_size=8),
    st.sampled_from([".", "..", "", "über", "数据", "a b", "-", "#x", "x:y", "\x00", "\ud800"]),
    st.integers(200, 300).map(lambda size: "n" * size),  # around the file-name limit
    st.integers(60, 130).map(lambda size: "ü" * size),  # 2 bytes a letter in UTF-8
)
_paths = st.one_of(
    st.lists(_component, min_size=1, max_size=4).map(lambda parts: "//" + "/".join(parts)),
    st.text(max_size=30),
    st.sampled_from(["//tmp/p/data", "//home/x/y/z", "/tmp/x", "tmp/x", "//", "///x"]),
)


def _files_outside(root: Path, dev_dir: Path) -> list[Path]:
    return [path for path in root.rglob("*") if dev_dir not in (path, *path.parents)]


@SETTINGS
@given(path=_paths)
def test_any_table_path_is_stored_in_dev_or_refused_with_a_ytflow_error(path: str) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        dev_dir = root / ".dev"
        client = DevClient(dev_dir)
        try:
            written = client.write_table(path, [{"x": 1}])
        except YtflowError:
            assert not dev_dir.exists() or not any(dev_dir.glob("*.jsonl"))
        else:
            assert written == 1
            assert client.exists(path)
            assert list(client.read_table(path)) == [{"x": 1}]
            assert client.row_count(path) == 1
            assert client.write_table(path, [{"x": 2}], append=True) == 1
            [info] = client.tables.tables()
            assert (info.path, info.rows) == (path, 2)
            assert info.file.parent == dev_dir
            client.remove(path)
            assert not client.exists(path)
        for call in (client.exists, client.row_count, lambda p: list(client.read_table(p))):
            with contextlib.suppress(YtflowError):
                call(path)
        assert _files_outside(root, dev_dir) == []


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),  # lone surrogates included: not UTF-8, so refused
    st.binary(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
        st.dictionaries(st.integers(0, 3), children, min_size=1, max_size=2),
    ),
    max_leaves=12,
)
_rows = st.lists(st.dictionaries(st.text(max_size=8), _values, max_size=5), max_size=6)


def _nested(depth: int, *, as_list: bool) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if as_list else {"d": value}
    return value


def _storable(value: Any) -> bool:
    """What the cluster (and so dev) can store: JSON-able, int64/uint64, finite, UTF-8."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_storable(item) for item in value)  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and _storable(key) and _storable(item)
            for key, item in value.items()  # pyright: ignore[reportUnknownVariableType]
        )
    return False


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return 0


@SETTINGS
@given(rows=_rows, append=st.booleans())
def test_random_rows_round_trip_exactly_or_are_refused_leaving_the_table(
    rows: list[dict[str, Any]], append: bool
) -> None:
    with tempfile.TemporaryDirectory() as temp:
        dev_dir = Path(temp) / ".dev"
        client = DevClient(dev_dir)
        client.write_table("//tmp/p/data", [{"seed": 1}])
        before = (dev_dir / "data.jsonl").read_bytes()
        storable = all(_storable(row) for row in rows)
        deep = any(_depth(row) > MAX_NESTING_DEPTH for row in rows)
        try:
            client.write_table("//tmp/p/data", rows, append=append)
        except RowError as error:
            assert not storable or deep, (error, rows)
            assert (dev_dir / "data.jsonl").read_bytes() == before
            assert list(client.read_table("//tmp/p/data")) == [{"seed": 1}]
            return
        assert storable and not deep, rows
        expected = [{"seed": 1}, *rows] if append else rows
        got = list(client.read_table("//tmp/p/data"))
        assert got == expected
        # Types too, not only equality (True == 1, 1.0 == 1).
        assert orjson.dumps(got) == orjson.dumps(expected)
        assert client.row_count("//tmp/p/data") == len(expected)


@SETTINGS
@given(
    depth=st.integers(MAX_NESTING_DEPTH - 3, MAX_NESTING_DEPTH + 3) | st.integers(1, 5000),
    as_list=st.booleans(),
    append=st.booleans(),
)
def test_deeply_nested_rows_are_stored_up_to_the_limit_then_refused(
    depth: int, as_list: bool, append: bool
) -> None:
    with tempfile.TemporaryDirectory() as temp:
        dev_dir = Path(temp) / ".dev"
        client = DevClient(dev_dir)
        client.write_table("//tmp/p/data", [{"seed": 1}])
        before = (dev_dir / "data.jsonl").read_bytes()
        row = {"deep": _nested(depth - 1, as_list=as_list)}  # ``depth`` levels with the row
        if depth <= MAX_NESTING_DEPTH:
            client.write_table("//tmp/p/data", [{"id": 0}, row], append=append)
            stored = list(client.read_table("//tmp/p/data"))[-1]
            assert orjson.dumps(stored) == orjson.dumps(row)
            return
        try:
            client.write_table("//tmp/p/data", [{"id": 0}, row], append=append)
        except RowError as error:
            assert error.row_index == 1
            assert error.column == "deep"
            assert str(MAX_NESTING_DEPTH) in error.message
        else:
            raise AssertionError(f"a row nested {depth} levels deep was stored")
        assert (dev_dir / "data.jsonl").read_bytes() == before
