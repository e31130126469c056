"""Fuzzing the YQL table helpers and ``run_yql`` on the dev engine (hypothesis).

Every helper argument (table paths, column names, conditions, ``on``, ``how``, select lists,
aggregations, limits, flags, row weights) is drawn from valid values, hostile text (quotes,
backslashes, ``;``, comments, newlines, unicode) and wrong types. Each call must either run
and write exactly the rows YQL's semantics give, or raise a ytflow error; never a raw
exception, never a change to another table, never a file outside ``.dev/``, never the
content of a local file. Raw ``run_yql`` texts built from random tokens get the same checks.

The default run tries a few dozen examples per test; ``pytest -m slow`` runs many more.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytflow.dev.client import DevClient
from ytflow.errors import YtflowError

SECRET = "SECRET_FUZZ_VALUE"
FAST = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
SLOW = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

# --- strategies ----------------------------------------------------------------------------

HOSTILE = [
    "`",
    "``",
    "\\",
    "\\`",
    "'",
    '"',
    ";",
    "a; DROP",
    "--",
    "/*",
    "*/",
    "@@",
    "$x",
    "a.b",
    "a b",
    "\n",
    "x\ny",
    "é",
    "名前",
    "SELECT",
    "FROM",
    "*",
    "//p/t",
    "'secret.csv'",
]
# Column names stored in tables: no empty name (YT refuses it) and no two equal but for case
# (DuckDB cannot tell them apart; dev refuses such tables, tested in test_yql_duckdb_errors).
column_text = st.one_of(
    st.sampled_from(["a", "b", "id", "x_1", *HOSTILE]),
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=8
    ),
)
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


def columns_strategy() -> st.SearchStrategy[list[str]]:
    return st.lists(column_text, min_size=1, max_size=4, unique_by=str.casefold)


@dataclass
class Table:
    path: str
    columns: list[str]
    rows: list[dict[str, Any]]


@st.composite
def tables(draw: st.DrawFn, path: str, columns: list[str] | None = None) -> Table:
    columns = columns if columns is not None else draw(columns_strategy())
    values = st.one_of(st.none(), st.integers(-5, 5))
    rows = draw(
        st.lists(st.fixed_dictionaries(dict.fromkeys(columns, values)), min_size=0, max_size=6)
    )
    return Table(path, columns, rows)


def column_argument(table: Table) -> st.SearchStrategy[Any]:
    """A name of the table (mostly), an unknown name, or a wrong type."""
    known = {name.casefold() for name in table.columns}
    unknown = column_text.filter(lambda name: name.casefold() not in known)
    return st.one_of(
        st.sampled_from(table.columns), st.sampled_from(table.columns), unknown, anything
    )


def table_argument(existing: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(existing),
        st.sampled_from(existing),
        st.just("//p/missing"),
        st.text(max_size=12),
        st.sampled_from(["//p/../t", "p/t", "//p/t/", "//p/t[1]", "//p/@x", "//", "/p/t"]),
        anything,
    )


output_argument = st.one_of(
    st.just("//p/out"), st.just("//p/out"), st.just("//p/t"), st.text(max_size=12), anything
)
flags = st.one_of(st.just(False), st.just(False), st.just(True), anything)
weights = st.one_of(
    st.just("128M"), st.just("128M"), st.sampled_from(["1K", "16M", "1G", 0, -1, 10]), anything
)

# --- the world each example runs in --------------------------------------------------------


@contextmanager
def world(*tables_: Table) -> Iterator[tuple[DevClient, Path]]:
    """A fresh pipeline folder with the tables and a secret file beside ``.dev/``."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "secret.csv").write_text(f"a\n{SECRET}\n", encoding="utf-8")
        client = DevClient(root / ".dev")
        for table in tables_:
            client.write_table(table.path, table.rows)
        yield client, root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the folder except the dev metadata (DuckDB's type cache lives there)
    and the tables' empty lock files (created on a table's first write attempt, kept)."""
    return {
        str(file.relative_to(root)): file.read_bytes()
        for file in sorted(root.rglob("*"))
        if file.is_file() and ".meta" not in file.parts and ".locks" not in file.parts
    }


def attempt(
    root: Path, call: Callable[[], Any], output: object
) -> tuple[Any, BaseException | None]:
    """Run ``call``; check that it failed as a ytflow error or touched only ``output``."""
    before = snapshot(root)
    try:
        result, error = call(), None
    except YtflowError as raised:
        result, error = None, raised
        assert SECRET not in str(raised)
    after = snapshot(root)
    out_file = f".dev/{output.rsplit('/', 1)[-1]}.jsonl" if isinstance(output, str) else None
    if error is not None:
        assert after == before, "a failed helper changed files"
    else:
        changed = {
            name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
        }
        assert changed <= {out_file}, f"the helper changed {changed}"
    assert SECRET.encode() not in after.get(out_file or "", b"")
    return result, error


def rows_of(client: DevClient, path: str) -> list[dict[str, Any]]:
    return list(client.read_table(path))


def canon(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


def valid_path(value: object) -> bool:
    return value in ("//p/out", "//p/t", "//p/u")


# --- helpers -------------------------------------------------------------------------------


def _select_columns(data: st.DataObject) -> None:
    table = data.draw(tables("//p/t"))
    columns = data.draw(
        st.one_of(
            st.lists(column_argument(table), min_size=0, max_size=3),
            st.dictionaries(column_text, column_argument(table), min_size=0, max_size=3),
            anything,
        )
    )
    output = data.draw(output_argument)
    with world(table) as (client, root):
        result, error = attempt(
            root,
            lambda: client.select_columns(
                input_table="//p/t", output_table=output, columns=columns
            ),
            output,
        )
        if error is None:
            assert valid_path(output)
            pairs = (
                list(columns.items()) if isinstance(columns, dict) else [(c, c) for c in columns]
            )
            expected = [{out: row[name] for out, name in pairs} for row in table.rows]
            assert canon(rows_of(client, output)) == canon(expected)
            assert result == len(expected)


def _filter_table(data: st.DataObject) -> None:
    table = data.draw(tables("//p/t"))
    column = data.draw(st.sampled_from(table.columns))
    threshold = data.draw(st.integers(-6, 6))
    escaped = column.replace("\\", "\\\\").replace("`", "\\`")
    structured = f"`{escaped}` > {threshold}"
    condition = data.draw(
        st.one_of(st.just(structured), st.text(max_size=20), st.sampled_from(HOSTILE), anything)
    )
    with world(table) as (client, root):
        _result, error = attempt(
            root,
            lambda: client.filter_table(
                input_table="//p/t", output_table="//p/out", condition=condition
            ),
            "//p/out",
        )
        if condition == structured and table.rows:  # an empty schemaless table has no columns
            assert error is None, error
            expected = [
                row for row in table.rows if row[column] is not None and row[column] > threshold
            ]
            assert canon(rows_of(client, "//p/out")) == canon(expected)
        elif error is None:  # any other condition that ran keeps a subset of the rows
            kept = canon(rows_of(client, "//p/out"))
            assert all(row in canon(table.rows) for row in kept)


def _sort_and_limit(data: st.DataObject) -> None:
    table = data.draw(tables("//p/t"))
    order_by = data.draw(
        st.one_of(column_argument(table), st.lists(column_argument(table), max_size=2))
    )
    descending = data.draw(flags)
    limit = data.draw(st.one_of(st.integers(-2, 8), anything))
    use_limit = data.draw(st.booleans())
    with world(table) as (client, root):
        if use_limit:
            call = lambda: client.limit_table(  # noqa: E731
                input_table="//p/t",
                output_table="//p/out",
                limit=limit,
                order_by=order_by,
                descending=descending,
            )
        else:
            call = lambda: client.sort_table(  # noqa: E731
                input_table="//p/t",
                output_table="//p/out",
                order_by=order_by,
                descending=descending,
            )
        _result, error = attempt(root, call, "//p/out")
        if error is not None:
            return
        got = rows_of(client, "//p/out")
        assert all(row in table.rows for row in got)
        if order_by is None:  # limit_table without an order: any `limit` rows
            assert isinstance(limit, int)
            assert len(got) == min(limit, len(table.rows))
            return
        keys = [order_by] if isinstance(order_by, str) else list(order_by)

        def key(row: dict[str, Any]) -> tuple[tuple[bool, int], ...]:
            return tuple((row[name] is not None, row[name] or 0) for name in keys)

        expected = sorted(table.rows, key=key, reverse=descending is True)
        if use_limit:
            assert isinstance(limit, int)
            expected = expected[:limit]
        assert [key(row) for row in got] == [key(row) for row in expected]
        assert all(row in table.rows for row in got)


def _distinct_and_group(data: st.DataObject) -> None:
    table = data.draw(tables("//p/t"))
    key = data.draw(column_argument(table))
    function = data.draw(
        st.one_of(st.sampled_from(["count", "sum", "min", "max", "count_distinct"]), anything)
    )
    column = data.draw(st.one_of(column_argument(table), st.just("*")))
    output_name = data.draw(column_text)
    grouped = data.draw(st.booleans())
    with world(table) as (client, root):
        if grouped:
            call = lambda: client.group_by_aggregate(  # noqa: E731
                input_table="//p/t",
                output_table="//p/out",
                group_by=key,
                aggregations={output_name: (function, column)},
            )
        else:
            call = lambda: client.distinct(  # noqa: E731
                input_table="//p/t", output_table="//p/out", columns=[key]
            )
        _result, error = attempt(root, call, "//p/out")
        if error is not None:
            return
        assert isinstance(key, str)
        groups: dict[Any, list[dict[str, Any]]] = {}
        for row in table.rows:
            groups.setdefault(row[key], []).append(row)
        if not grouped:
            assert canon(rows_of(client, "//p/out")) == canon([{key: value} for value in groups])
            return
        expected = []
        for value, members in groups.items():
            values = [row[column] for row in members if column != "*" and row[column] is not None]
            result: Any = {
                "count": len(members) if column == "*" else len(values),
                "count_distinct": len(set(values)),
                "sum": sum(values) if values else None,
                "min": min(values) if values else None,
                "max": max(values) if values else None,
            }[function]
            expected.append({key: value, output_name: result})
        assert canon(rows_of(client, "//p/out")) == canon(expected)


def _join(data: st.DataObject) -> None:
    left = data.draw(tables("//p/t"))
    right = data.draw(tables("//p/u"))
    left_key = data.draw(column_argument(left))
    right_key = data.draw(column_argument(right))
    on = data.draw(
        st.one_of(
            st.just({"left": left_key, "right": right_key}),
            st.just(left_key),
            st.lists(column_argument(left), max_size=2),
            anything,
        )
    )
    how = data.draw(st.one_of(st.sampled_from(["inner", "left", "right", "full"]), anything))
    picks = st.one_of(
        st.sampled_from(["a." + name for name in left.columns]),
        st.sampled_from(["b." + name for name in right.columns]),
        st.text(max_size=6),
        anything,
    )
    select = data.draw(
        st.one_of(
            st.lists(picks, min_size=1, max_size=3),
            st.dictionaries(column_text, picks, max_size=2),
            st.none(),
        )
    )
    left_table = data.draw(table_argument(["//p/t"]))
    with world(left, right) as (client, root):
        _result, error = attempt(
            root,
            lambda: client.join_tables(
                left_table=left_table,
                right_table="//p/u",
                output_table="//p/out",
                on=on,
                how=how,
                select_columns=select,
            ),
            "//p/out",
        )
        if error is not None or how != "inner" or not isinstance(on, dict) or select is None:
            return
        pairs = (
            list(select.items())
            if isinstance(select, dict)
            else [(p.split(".", 1)[1], p) for p in select]
        )
        expected = []
        for a in left.rows:
            for b in right.rows:
                if a[left_key] is not None and a[left_key] == b[right_key]:
                    sides = {"a": a, "b": b}
                    expected.append({out: sides[p[0]][p[2:]] for out, p in pairs})
        assert canon(rows_of(client, "//p/out")) == canon(expected)


def _union(data: st.DataObject) -> None:
    left = data.draw(tables("//p/t"))
    right = data.draw(tables("//p/u", left.columns))
    inputs = data.draw(
        st.one_of(st.lists(table_argument(["//p/t", "//p/u"]), max_size=3), anything)
    )
    weight = data.draw(weights)
    append = data.draw(flags)
    with world(left, right) as (client, root):
        client.write_table("//p/out", [{"old": 1}])
        _result, error = attempt(
            root,
            lambda: client.union_tables(
                input_tables=inputs, output_table="//p/out", append=append, max_row_weight=weight
            ),
            "//p/out",
        )
        if error is not None:
            return
        expected = [
            row for path in inputs for row in {"//p/t": left.rows, "//p/u": right.rows}[path]
        ]
        if append is True:
            expected = [{"old": 1}, *expected]
        assert canon(rows_of(client, "//p/out")) == canon(expected)


# --- raw run_yql ---------------------------------------------------------------------------

TOKENS = [
    "SELECT",
    "FROM",
    "WHERE",
    "JOIN",
    "LEFT",
    "ON",
    "AS",
    "GROUP",
    "BY",
    "ORDER",
    "LIMIT",
    "UNION",
    "ALL",
    "DISTINCT",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "CAST",
    "Int64",
    "Double",
    "COUNT",
    "SUM",
    "IF",
    "String::Contains",
    "read_csv",
    "read_text",
    "glob",
    "COPY",
    "ATTACH",
    "INSTALL",
    "LOAD",
    "SET",
    "CALL",
    "PRAGMA",
    "USE",
    "COMMIT",
    "WITH",
    "VALUES",
    "DESCRIBE",
    "`//p/t`",
    "`//p/u`",
    "`p/t`",
    "`//p/missing`",
    "`secret.csv`",
    "'secret.csv'",
    '"secret.csv"',
    "'/etc/passwd'",
    "`//p/../secret`",
    "a",
    "b",
    "`a`",
    "x",
    "$s",
    "$s =",
    "1",
    "2.5",
    "0x1F",
    "10u",
    '"nan"',
    '"inf"',
    "(",
    ")",
    "(*)",
    ",",
    ";",
    "=",
    "==",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "||",
    "::",
    ".",
    "--",
    "/*",
    "*/",
    "@@",
    "`",
    "'",
    '"',
    "\n",
    "é",
    "\\",
]


def _raw_yql(data: st.DataObject) -> None:
    table = Table("//p/t", ["a", "b"], [{"a": 1, "b": 2}, {"a": None, "b": 3}])
    other = Table("//p/u", ["a"], [{"a": 1}])
    parts = data.draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
    text = data.draw(
        st.one_of(
            st.just(" ".join(parts)),
            st.just("SELECT * FROM " + " ".join(parts)),
            st.text(max_size=30),
        )
    )
    with world(table, other) as (client, root):
        rows, error = attempt(root, lambda: client.run_yql(text), None)
        if error is None:
            assert isinstance(rows, list)
            assert SECRET not in json.dumps(rows, default=str)


def _raw_insert(data: st.DataObject) -> None:
    table = Table("//p/t", ["a", "b"], [{"a": 1, "b": 2}, {"a": None, "b": 3}])
    parts = data.draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=10))
    text = "INSERT INTO `//p/out` WITH TRUNCATE SELECT " + " ".join(parts)
    with world(table) as (client, root):
        attempt(root, lambda: client.run_yql(text), "//p/out")


PROPERTIES = {
    "select_columns": _select_columns,
    "filter_table": _filter_table,
    "sort_and_limit": _sort_and_limit,
    "distinct_and_group_by": _distinct_and_group,
    "join_tables": _join,
    "union_tables": _union,
    "run_yql_tokens": _raw_yql,
    "run_yql_insert_tokens": _raw_insert,
}


@pytest.mark.parametrize("name", PROPERTIES)
@FAST
@given(data=st.data())
def test_helpers_fuzzed(name: str, data: st.DataObject) -> None:
    PROPERTIES[name](data)


@pytest.mark.slow
@pytest.mark.parametrize("name", PROPERTIES)
@SLOW
@given(data=st.data())
def test_helpers_fuzzed_long(name: str, data: st.DataObject) -> None:
    PROPERTIES[name](data)
