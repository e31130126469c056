"""The dev YQL engine as a whole: scripts of several statements, what INSERT writes, what a bare
SELECT returns, types on the way in and out, errors, and the YQL example end to end.

The table helpers through ``DevClient`` live in test_yql_dev_helpers.py; construct-by-construct
conformance lives in test_yql_conformance.py.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from yql_helpers import ORDERS, ROOT, USERS, multiset, rows_of, seeded_client

from ytflow.dev.client import DevClient
from ytflow.errors import PathConflict, TableNotFound, YqlError


@pytest.fixture
def yt(tmp_path: Path) -> DevClient:
    return seeded_client(tmp_path)


def raw_lines(yt: DevClient, name: str) -> list[str]:
    return (yt.dev_dir / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()


# --- statements ----------------------------------------------------------------------------


def test_statements_run_in_order_and_the_last_bare_select_is_returned(yt: DevClient) -> None:
    rows = yt.run_yql(
        "USE hahn;\n"
        'PRAGMA yt.Pool = "research";\n'
        "$buyers = SELECT DISTINCT user_id FROM `//p/orders`;\n"
        "SELECT COUNT(*) AS n FROM `//p/users`;\n"
        "INSERT INTO `//p/buyers` WITH TRUNCATE\n"
        "SELECT u.name AS name FROM `//p/users` AS u WHERE u.user_id IN $buyers;\n"
        "COMMIT;\n"
        "SELECT name FROM `//p/buyers` ORDER BY name;\n"
    )
    assert rows == [{"name": "Alice"}, {"name": "Bob"}]


def test_a_script_without_a_bare_select_returns_no_rows(yt: DevClient) -> None:
    assert yt.run_yql("INSERT INTO `//p/copy` WITH TRUNCATE SELECT * FROM `//p/users`;") == []
    assert rows_of(yt, "//p/copy") == USERS


def test_select_returns_a_list_of_dicts(yt: DevClient) -> None:
    rows = yt.run_yql("SELECT user_id, name, country FROM `//p/users` ORDER BY user_id;")
    assert rows == USERS
    assert all(type(row) is dict for row in rows)


def test_a_result_column_may_share_the_row_alias_name(yt: DevClient) -> None:
    # The engine once serialised rows through the alias "r", which a column "r" shadowed.
    assert yt.run_yql("SELECT 1 AS r, 2 AS __ytflow_row;") == [{"r": 1, "__ytflow_row": 2}]


def test_insert_with_truncate_replaces_and_plain_insert_appends(yt: DevClient) -> None:
    yt.write_table("//p/out", [{"order_id": 99}])
    yt.run_yql(
        "INSERT INTO `//p/out` WITH TRUNCATE SELECT order_id FROM `//p/orders` "
        "WHERE amount > 6 ORDER BY order_id;"
    )
    assert rows_of(yt, "//p/out") == [{"order_id": 11}, {"order_id": 12}]
    yt.run_yql("INSERT INTO `//p/out` SELECT order_id FROM `//p/orders` WHERE order_id = 10;")
    assert rows_of(yt, "//p/out") == [{"order_id": 11}, {"order_id": 12}, {"order_id": 10}]
    assert yt.row_count("//p/out") == 3


def test_insert_without_truncate_creates_a_missing_table(yt: DevClient) -> None:
    yt.run_yql("INSERT INTO `//p/new` SELECT name FROM `//p/users` WHERE user_id = 2;")
    assert rows_of(yt, "//p/new") == [{"name": "Bob"}]


def test_an_empty_result_writes_an_empty_table(yt: DevClient) -> None:
    yt.write_table("//p/out", [{"x": 1}, {"x": 2}])
    yt.run_yql("INSERT INTO `//p/out` WITH TRUNCATE SELECT * FROM `//p/users` WHERE false;")
    assert yt.exists("//p/out")
    assert yt.row_count("//p/out") == 0
    assert raw_lines(yt, "out") == []
    yt.run_yql("INSERT INTO `//p/empty` SELECT * FROM `//p/users` WHERE user_id > 100;")
    assert yt.exists("//p/empty")
    assert rows_of(yt, "//p/empty") == []
    # and an empty table can be read again
    assert yt.run_yql("SELECT COUNT(*) AS n FROM `//p/empty`;") == [{"n": 0}]


def test_a_table_read_twice_in_a_self_join_and_by_two_statements(yt: DevClient) -> None:
    rows = yt.run_yql(
        "INSERT INTO `//p/pairs` WITH TRUNCATE\n"
        "SELECT a.name AS a, b.name AS b FROM `//p/users` AS a\n"
        "JOIN `//p/users` AS b ON a.country == b.country WHERE a.user_id < b.user_id;\n"
        "SELECT COUNT(*) AS n FROM `//p/users`;\n"
    )
    assert rows == [{"n": 4}]
    assert rows_of(yt, "//p/pairs") == [{"a": "Alice", "b": "Carol"}]


def test_an_insert_may_read_the_table_it_replaces(yt: DevClient) -> None:
    yt.run_yql(
        "INSERT INTO `//p/orders` WITH TRUNCATE SELECT * FROM `//p/orders` WHERE amount > 6;"
    )
    assert rows_of(yt, "//p/orders") == [ORDERS[1], ORDERS[2]]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_known_pragmas_are_silent_and_unknown_ones_warn(yt: DevClient) -> None:
    logger = logging.getLogger("ytflow.yql")
    collect = _Collect()
    logger.addHandler(collect)  # on the logger itself: a pipeline run may stop propagation
    try:
        yt.run_yql('PRAGMA yt.MaxRowWeight = "16M";\nPRAGMA yt.InferSchema;\nSELECT 1 AS x;')
        assert collect.records == []
        assert yt.run_yql("SELECT 1 AS x;\nPRAGMA Frobnicate;\nSELECT 2 AS x;") == [{"x": 2}]
    finally:
        logger.removeHandler(collect)
    [record] = collect.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "YQL line 2: PRAGMA Frobnicate is unknown to the dev engine and ignored"
    )


# --- types ---------------------------------------------------------------------------------

TYPED_ROWS: list[dict[str, Any]] = [
    {
        "int": 2**62 + 1,
        "negative": -(2**63),
        "uint": 2**64 - 1,
        "double": 0.1,
        "bool": True,
        "text": "naïve ☃",
        "date": "2024-02-29",
        "timestamp": "2024-01-15T10:00:00Z",
        "uuid": "123e4567-e89b-12d3-a456-426614174000",
        "mixed": 1,
        "nested": {"a": [1, {"b": None}], "c": "d"},
        "list": [1, 2],
        "empty_list": [],
        "null": None,
        "missing_later": "here",
    },
    {
        "int": 7,
        "negative": 0,
        "uint": 1,
        "double": -2.5e-10,
        "bool": False,
        "text": "",
        "date": "not a date",
        "timestamp": "2024-01-16T10:00:00Z",
        "uuid": "123e4567-e89b-12d3-a456-426614174001",
        "mixed": "one",
        "nested": [],
        "list": [],
        "empty_list": [],
        "null": None,
    },
]


def test_values_round_trip_through_insert_select_star(yt: DevClient) -> None:
    yt.write_table("//p/typed", TYPED_ROWS)
    yt.run_yql("INSERT INTO `//p/typed_copy` WITH TRUNCATE SELECT * FROM `//p/typed`;")
    expected = [TYPED_ROWS[0], {**TYPED_ROWS[1], "missing_later": None}]
    copied = rows_of(yt, "//p/typed_copy")
    assert copied == expected
    for row, want in zip(copied, expected, strict=True):
        assert {key: type(value) for key, value in row.items()} == {
            key: type(value) for key, value in want.items()
        }
    # full precision in the file itself, not only after parsing
    first = raw_lines(yt, "typed_copy")[0]
    assert '"int":4611686018427387905' in first
    assert '"uint":18446744073709551615' in first
    assert '"negative":-9223372036854775808' in first


def test_bare_select_returns_the_same_values(yt: DevClient) -> None:
    yt.write_table("//p/typed", TYPED_ROWS)
    rows = yt.run_yql("SELECT * FROM `//p/typed`;")
    assert rows == [TYPED_ROWS[0], {**TYPED_ROWS[1], "missing_later": None}]


def test_a_null_column_is_written_as_an_explicit_null(yt: DevClient) -> None:
    # YQL results are schemaful tables: every row has every column, NULL included.
    yt.run_yql(
        "INSERT INTO `//p/out` WITH TRUNCATE\n"
        'SELECT user_id, IF(country == "NL", "dutch") AS tag FROM `//p/users` ORDER BY user_id;'
    )
    assert raw_lines(yt, "out") == [
        '{"user_id":1,"tag":"dutch"}',
        '{"user_id":2,"tag":null}',
        '{"user_id":3,"tag":"dutch"}',
        '{"user_id":4,"tag":null}',
    ]


def test_a_column_of_ints_and_doubles_is_read_as_double(yt: DevClient) -> None:
    yt.write_table("//p/scores", [{"score": 1}, {"score": 2.5}])
    yt.run_yql("INSERT INTO `//p/out` WITH TRUNCATE SELECT * FROM `//p/scores`;")
    assert raw_lines(yt, "out") == ['{"score":1.0}', '{"score":2.5}']


def test_column_types_come_from_the_whole_table(yt: DevClient) -> None:
    # a string in the last of many int rows: the column is mixed, not silently all strings
    rows = [{"v": index} for index in range(5000)] + [{"v": "last"}]
    yt.write_table("//p/long", rows)
    result = yt.run_yql("SELECT v FROM `//p/long` WHERE v IS NOT NULL;")
    assert multiset(result) == multiset(rows)
    assert {"v": "last"} in result


# --- errors --------------------------------------------------------------------------------


def test_a_missing_table_names_the_path_and_the_line(yt: DevClient) -> None:
    with pytest.raises(TableNotFound) as caught:
        yt.run_yql("SELECT 1 AS x;\nSELECT * FROM `//p/nope`;")
    assert "//p/nope" in str(caught.value)
    assert "YQL line 2 reads it" in str(caught.value)


def test_a_missing_table_is_named_before_any_statement_runs(yt: DevClient) -> None:
    yt.write_table("//p/out", [{"a": 1}])
    script = (
        "INSERT INTO `//p/out` WITH TRUNCATE SELECT 2 AS a;\n"
        "INSERT INTO `//p/made` SELECT a FROM `//p/out`;\n"
        "SELECT * FROM `//p/made`;\n"  # written by line 2: not missing
        "SELECT * FROM `//p/nope`;"
    )
    with pytest.raises(TableNotFound, match="YQL line 4 reads it; no statement ran"):
        yt.run_yql(script)
    assert list(yt.read_table("//p/out")) == [{"a": 1}]
    assert not yt.exists("//p/made")
    assert yt.run_yql(script.rsplit("\n", 1)[0]) == [{"a": 2}]


def test_a_failure_in_duckdb_names_the_statement_line_and_shows_the_translation(
    yt: DevClient,
) -> None:
    with pytest.raises(YqlError) as caught:
        yt.run_yql("SELECT 1 AS x;\n\nSELECT no_such_column\nFROM `//p/users`;")
    message = str(caught.value)
    assert caught.value.line == 3
    assert message.startswith("YQL line 3: the query failed in DuckDB: ")
    assert "no_such_column" in message
    assert "dev translated it to: " in message


def test_an_unsupported_construct_is_refused_before_any_statement_runs(yt: DevClient) -> None:
    yt.write_table("//p/out", [{"kept": True}])
    with pytest.raises(YqlError) as caught:
        yt.run_yql(
            "INSERT INTO `//p/out` WITH TRUNCATE SELECT * FROM `//p/users`;\n"
            "COMMIT;\n"
            "SELECT * FROM `//p/users` FLATTEN BY country;\n"
        )
    assert caught.value.line == 3
    assert "FLATTEN BY" in str(caught.value)
    assert rows_of(yt, "//p/out") == [{"kept": True}]


@pytest.mark.parametrize(
    ("query", "line", "fragment"),
    [
        ("SELECT 1;\nSELECT 'unclosed;", 2, "'-quoted string is never closed"),
        ("SELECT 1;\n/* never closed", 2, "/* comment is never closed"),
        ("SELECT 1;\n\nSELECT (1;", 3, "unbalanced parentheses"),
        ("SELECT 1;\nINSERT INTO out SELECT 1;", 2, "backquoted table path"),
        ("SELECT 1;\nHELLO;", 2, "HELLO is not a YQL statement"),
        ("SELECT 1;\nSELECT CAST(1 AS);", 2, "expected CAST(value AS Type)"),
        ("SELECT 1;\nSELECT IF(1);", 2, "IF() takes 2 or 3 argument(s), got 1"),
        ("SELECT 1;\nSELECT 1 # 2;", 2, "unexpected character '#'"),
    ],
)
def test_malformed_queries_name_their_line(
    yt: DevClient, query: str, line: int, fragment: str
) -> None:
    with pytest.raises(YqlError) as caught:
        yt.run_yql(query)
    assert caught.value.line == line
    assert fragment in str(caught.value)


def test_an_insert_into_a_conflicting_base_name_is_refused(yt: DevClient) -> None:
    with pytest.raises(PathConflict):
        yt.run_yql("INSERT INTO `//other/users` SELECT * FROM `//p/orders`;")
    assert rows_of(yt, "//p/users") == USERS


# --- the example -----------------------------------------------------------------------------


def test_example_03_yql_unordered_outputs(tmp_path: Path) -> None:
    """The tables whose row order no query fixes (test_examples.py checks the ordered ones)."""
    example = tmp_path / "03_yql"
    shutil.copytree(ROOT / "examples" / "03_yql", example, ignore=shutil.ignore_patterns(".dev"))
    result = run_cli("run", example)
    assert result.returncode == 0, result.stderr
    client = DevClient(example / ".dev")
    folder = "//tmp/yql_example"
    expected: dict[str, list[dict[str, Any]]] = {
        "all_orders": [
            {"order_id": 101, "user_id": 1, "amount": 30, "day": "2024-01-05"},
            {"order_id": 102, "user_id": 2, "amount": 12, "day": "2024-01-06"},
            {"order_id": 103, "user_id": 1, "amount": 5, "day": "2024-01-07"},
            {"order_id": 104, "user_id": 3, "amount": 50, "day": "2024-02-01"},
            {"order_id": 105, "user_id": 4, "amount": 8, "day": "2024-02-02"},
        ],
        "orders_named": [
            {"order_id": 101, "amount": 30, "name": "Alice"},
            {"order_id": 102, "amount": 12, "name": "Bob"},
            {"order_id": 103, "amount": 5, "name": "Alice"},
            {"order_id": 104, "amount": 50, "name": "Carol"},
            {"order_id": 105, "amount": 8, "name": None},
        ],
        "user_totals": [
            {"user_id": 1, "orders": 2, "total": 35},
            {"user_id": 2, "orders": 1, "total": 12},
            {"user_id": 3, "orders": 1, "total": 50},
            {"user_id": 4, "orders": 1, "total": 8},
        ],
        "countries": [{"country": "NL"}, {"country": "DE"}],
        "report": [
            {"name": "Alice", "total": 35, "orders": 2},
            {"name": "Bob", "total": 12, "orders": 1},
            {"name": "Carol", "total": 50, "orders": 1},
            {"name": "user 4", "total": 8, "orders": 1},
        ],
    }
    for name, rows in expected.items():
        assert multiset(rows_of(client, f"{folder}/{name}")) == multiset(rows), name
    # the appending INSERT of the script added its row after the replacing one's
    assert rows_of(client, f"{folder}/report")[-1]["name"] == "user 4"
    log = (example / ".dev" / "operation.log").read_text(encoding="utf-8")
    assert re.search(r"join_tables runs:\s+PRAGMA yt\.MaxRowWeight", log)


def test_a_backticked_column_that_looks_like_a_path_is_a_column(yt: DevClient) -> None:
    """Found by the helper fuzz: `//p/t` outside a FROM list names a column, as in YQL."""
    yt.write_table("//p/t", [{"//p/t": 1, "k": 1}, {"//p/t": 0, "k": 2}])
    yt.write_table("//p/u", [{"k": 1, "v": "x"}])
    assert (
        yt.filter_table(input_table="//p/t", output_table="//p/out", condition="`//p/t` > 0") == 1
    )
    assert list(yt.read_table("//p/out")) == [{"//p/t": 1, "k": 1}]
    assert yt.run_yql("SELECT k, `//p/t` FROM `//p/t` ORDER BY k;") == [
        {"k": 1, "//p/t": 1},
        {"k": 2, "//p/t": 0},
    ]
    # A FROM list joined by commas still reads tables.
    assert yt.run_yql("SELECT t.k, u.v FROM `//p/t` AS t, `//p/u` AS u WHERE t.k = u.k;") == [
        {"k": 1, "v": "x"}
    ]
