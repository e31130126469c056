"""YQL conformance of the dev engine: each construct it runs, checked against rows computed by
hand, and each construct it refuses, checked for the error (naming the construct and its line).

The expected rows are literal Python written from YQL's semantics, never computed by DuckDB,
and they are compared with their types (``1`` is not ``1.0`` or ``True``). ``docs/yql.md``
shows both tables; the tests at the bottom parse them, so the doc cannot drift from the cases.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ytflow.dev.client import DevClient
from ytflow.errors import YqlError

DOC = Path(__file__).resolve().parents[1] / "docs" / "yql.md"

USERS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": "Alice",
        "country": "NL",
        "age": 30,
        "meta": {"a": 1, "tags": ["x", "y"]},
        "day": "2024-01-15",
        "big": 2**62 + 1,
        "mixed": 1,
    },
    {
        "id": 2,
        "name": "Bob",
        "country": "DE",
        "age": 25,
        "meta": {"a": 2, "tags": []},
        "day": "2024-02-29",
        "big": -(2**62),
        "mixed": "two",
    },
    {  # no "age" key at all: read as NULL
        "id": 3,
        "name": "Carol",
        "country": "NL",
        "meta": {"a": 3, "tags": ["z"]},
        "day": "2023-12-31",
        "big": 7,
        "mixed": [3],
    },
    {
        "id": 4,
        "name": "Dave",
        "country": None,
        "age": 41,
        "meta": None,
        "day": "2024-03-01",
        "big": 0,
        "mixed": None,
    },
]
ORDERS: list[dict[str, Any]] = [
    {"order_id": 10, "user_id": 1, "amount": 5},
    {"order_id": 11, "user_id": 1, "amount": 10},
    {"order_id": 12, "user_id": 2, "amount": 7},
    {"order_id": 13, "user_id": 9, "amount": 1},
]
SCORES: list[dict[str, Any]] = [
    {"k": "a", "score": 1},
    {"k": "b", "score": 2.5},
]  # ints and doubles in one column


@pytest.fixture
def yt(tmp_path: Path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//t/users", USERS)
    client.write_table("//t/orders", ORDERS)
    client.write_table("//t/scores", SCORES)
    return client


@dataclass(frozen=True)
class Case:
    """A supported construct: ``example`` (shown in docs/yql.md) occurs in ``query``."""

    id: str
    construct: str
    example: str
    query: str
    expected: list[dict[str, Any]]
    ordered: bool = True  # False: compare as a multiset (the query has no ORDER BY)
    note: str = ""  # shown after "yes; " in the doc's "supported in dev" column


def ids(*values: int) -> list[dict[str, Any]]:
    return [{"id": value} for value in values]


CASES: list[Case] = [
    # --- tables and statements ---------------------------------------------------------------
    Case(
        "path-backticked",
        "backticked table path",
        "FROM `//t/users`",
        "SELECT COUNT(*) AS n FROM `//t/users`;",
        [{"n": 4}],
    ),
    Case(
        "path-without-slashes",
        "path without the leading //",
        "FROM `t/users`",
        "SELECT COUNT(*) AS n FROM `t/users`;",
        [{"n": 4}],
    ),
    Case(
        "path-cluster-prefix",
        "cluster.`path`",
        "FROM hahn.`//t/users`",
        "SELECT COUNT(*) AS n FROM hahn.`//t/users`;",
        [{"n": 4}],
    ),
    Case(
        "use-cluster",
        "USE cluster",
        "USE hahn;",
        "USE hahn;\nSELECT COUNT(*) AS n FROM `//t/users`;",
        [{"n": 4}],
    ),
    Case(
        "multi-statement",
        "several statements",
        "WHERE age > 26; COMMIT; SELECT id FROM `//t/out`",
        "INSERT INTO `//t/out` WITH TRUNCATE SELECT id FROM `//t/users` WHERE age > 26;\n"
        "COMMIT;\n"
        "SELECT id FROM `//t/out` ORDER BY id;",
        ids(1, 4),
    ),
    Case(
        "commit",
        "COMMIT",
        "COMMIT;",
        "SELECT 1 AS x;\nCOMMIT;\nSELECT 2 AS x;",
        [{"x": 2}],
        note="a no-op; each dev statement sees the tables written before it",
    ),
    Case(
        "select-returns-rows",
        "SELECT without INSERT returns its rows",
        "SELECT id, name FROM `//t/users`",
        "SELECT id, name FROM `//t/users` WHERE id <= 2 ORDER BY id;",
        [{"id": 1, "name": "Alice"}, {"id": 2, "name": "Bob"}],
        note="the rows of the last such SELECT",
    ),
    Case(
        "named-expression",
        "$name = expression",
        "$min_age = 26;",
        "$min_age = 26;\nSELECT id FROM `//t/users` WHERE age > $min_age ORDER BY id;",
        ids(1, 4),
    ),
    Case(
        "named-subquery",
        "$name = SELECT ...",
        '$nl = SELECT id, name FROM `//t/users` WHERE country == "NL";',
        '$nl = SELECT id, name FROM `//t/users` WHERE country == "NL";\n'
        "SELECT name FROM $nl ORDER BY name;",
        [{"name": "Alice"}, {"name": "Carol"}],
    ),
    Case(
        "named-subquery-parenthesized",
        "$name = (SELECT ...)",
        '$nl = (SELECT id FROM `//t/users` WHERE country == "NL");',
        '$nl = (SELECT id FROM `//t/users` WHERE country == "NL");\nSELECT COUNT(*) AS n FROM $nl;',
        [{"n": 2}],
    ),
    Case(
        "named-subquery-chain",
        "a named subquery reading another",
        "$young = SELECT id FROM $known WHERE age < 40;",
        "$known = SELECT id, age FROM `//t/users` WHERE age IS NOT NULL;\n"
        "$young = SELECT id FROM $known WHERE age < 40;\n"
        "SELECT id FROM $young ORDER BY id;",
        ids(1, 2),
    ),
    Case(
        "pragma-known",
        "PRAGMA (known)",
        'PRAGMA yt.Pool = "research";',
        'PRAGMA yt.Pool = "research";\nSELECT 1 AS x;',
        [{"x": 1}],
        note="accepted and ignored",
    ),
    Case(
        "pragma-unknown",
        "PRAGMA (unknown)",
        "PRAGMA NoSuchPragma;",
        "PRAGMA NoSuchPragma;\nSELECT 1 AS x;",
        [{"x": 1}],
        note="ignored with a warning naming it and its line",
    ),
    Case(
        "insert-with-truncate",
        "INSERT INTO ... WITH TRUNCATE",
        "INSERT INTO `//t/out` WITH TRUNCATE",
        "INSERT INTO `//t/out` WITH TRUNCATE SELECT id FROM `//t/users` WHERE id <= 2;\n"
        "COMMIT;\n"
        "INSERT INTO `//t/out` WITH TRUNCATE SELECT id FROM `//t/users` WHERE id = 4;\n"
        "COMMIT;\n"
        "SELECT id FROM `//t/out` ORDER BY id;",
        ids(4),
        note="replaces the table",
    ),
    Case(
        "insert-append",
        "INSERT INTO (appends)",
        "INSERT INTO `//t/out` SELECT",
        "INSERT INTO `//t/out` WITH TRUNCATE SELECT id FROM `//t/users` WHERE id <= 2;\n"
        "COMMIT;\n"
        "INSERT INTO `//t/out` SELECT id FROM `//t/users` WHERE id = 4;\n"
        "COMMIT;\n"
        "SELECT id FROM `//t/out` ORDER BY id;",
        ids(1, 2, 4),
        note="appends; creates the table if missing",
    ),
    Case(
        "insert-empty-result",
        "INSERT of an empty result",
        "WHERE id > 100",
        "INSERT INTO `//t/out` WITH TRUNCATE SELECT id FROM `//t/users` WHERE id > 100;\n"
        "COMMIT;\n"
        "SELECT COUNT(*) AS n FROM `//t/out`;",
        [{"n": 0}],
        note="writes an empty table",
    ),
    Case(
        "self-join",
        "a table read twice in one query",
        "FROM `//t/users` AS a JOIN `//t/users` AS b",
        "SELECT a.name AS name, b.name AS neighbour\n"
        "FROM `//t/users` AS a JOIN `//t/users` AS b ON a.country == b.country\n"
        "WHERE a.id < b.id;",
        [{"name": "Alice", "neighbour": "Carol"}],
    ),
    Case(
        "table-in-two-statements",
        "a table read by two statements",
        "SELECT MAX(id) AS m FROM `//t/users`;",
        "SELECT COUNT(*) AS n FROM `//t/users`;\nSELECT MAX(id) AS m FROM `//t/users`;",
        [{"m": 4}],
    ),
    # --- clauses -----------------------------------------------------------------------------
    Case(
        "where",
        "WHERE",
        'WHERE country == "NL" AND age >= 30',
        'SELECT id FROM `//t/users` WHERE country == "NL" AND age >= 30;',
        ids(1),
    ),
    Case(
        "order-by-nulls-first",
        "ORDER BY (NULL first)",
        "ORDER BY age",
        "SELECT id FROM `//t/users` ORDER BY age;",
        ids(3, 2, 1, 4),
        note="NULL sorts before every value, as on YT",
    ),
    Case(
        "order-by-desc",
        "ORDER BY ... DESC (NULL last)",
        "ORDER BY age DESC",
        "SELECT id FROM `//t/users` ORDER BY age DESC;",
        ids(4, 1, 2, 3),
    ),
    Case(
        "limit-offset",
        "LIMIT ... OFFSET",
        "LIMIT 2 OFFSET 1",
        "SELECT id FROM `//t/users` ORDER BY id LIMIT 2 OFFSET 1;",
        ids(2, 3),
    ),
    Case(
        "group-by",
        "GROUP BY",
        "GROUP BY country",
        "SELECT country, COUNT(*) AS n FROM `//t/users` GROUP BY country ORDER BY country;",
        [{"country": None, "n": 1}, {"country": "DE", "n": 1}, {"country": "NL", "n": 2}],
    ),
    Case(
        "group-by-expression-as",
        "GROUP BY expr AS key",
        "GROUP BY age / 10 AS decade",
        "SELECT decade, COUNT(*) AS n FROM `//t/users` GROUP BY age / 10 AS decade\n"
        "ORDER BY decade;",
        [
            {"decade": None, "n": 1},
            {"decade": 2, "n": 1},
            {"decade": 3, "n": 1},
            {"decade": 4, "n": 1},
        ],
    ),
    Case(
        "having",
        "HAVING",
        "HAVING COUNT(*) > 1",
        "SELECT country, COUNT(*) AS n FROM `//t/users` GROUP BY country HAVING COUNT(*) > 1;",
        [{"country": "NL", "n": 2}],
    ),
    Case(
        "distinct",
        "SELECT DISTINCT",
        "SELECT DISTINCT country",
        "SELECT DISTINCT country FROM `//t/users` ORDER BY country;",
        [{"country": None}, {"country": "DE"}, {"country": "NL"}],
    ),
    Case(
        "count-distinct",
        "COUNT(DISTINCT x)",
        "COUNT(DISTINCT country)",
        "SELECT COUNT(DISTINCT country) AS n FROM `//t/users`;",
        [{"n": 2}],
    ),
    Case(
        "aggregates",
        "COUNT, SUM, AVG, MIN, MAX",
        "SUM(age) AS total, AVG(age) AS mean",
        "SELECT COUNT(*) AS n, COUNT(age) AS ages, SUM(age) AS total, AVG(age) AS mean,\n"
        "MIN(age) AS youngest, MAX(age) AS oldest FROM `//t/users`;",
        [{"n": 4, "ages": 3, "total": 96, "mean": 32.0, "youngest": 25, "oldest": 41}],
    ),
    Case(
        "join-inner",
        "JOIN",
        "JOIN `//t/orders` AS o ON u.id == o.user_id",
        "SELECT u.name AS name, o.order_id AS order_id\n"
        "FROM `//t/users` AS u JOIN `//t/orders` AS o ON u.id == o.user_id ORDER BY order_id;",
        [
            {"name": "Alice", "order_id": 10},
            {"name": "Alice", "order_id": 11},
            {"name": "Bob", "order_id": 12},
        ],
    ),
    Case(
        "join-left",
        "LEFT JOIN",
        "LEFT JOIN `//t/orders` AS o",
        "SELECT u.id AS id, o.order_id AS order_id\n"
        "FROM `//t/users` AS u LEFT JOIN `//t/orders` AS o ON u.id == o.user_id\n"
        "ORDER BY id, order_id;",
        [
            {"id": 1, "order_id": 10},
            {"id": 1, "order_id": 11},
            {"id": 2, "order_id": 12},
            {"id": 3, "order_id": None},
            {"id": 4, "order_id": None},
        ],
    ),
    Case(
        "join-right",
        "RIGHT JOIN",
        "RIGHT JOIN `//t/orders` AS o",
        "SELECT u.name AS name, o.order_id AS order_id\n"
        "FROM `//t/users` AS u RIGHT JOIN `//t/orders` AS o ON u.id == o.user_id\n"
        "ORDER BY order_id;",
        [
            {"name": "Alice", "order_id": 10},
            {"name": "Alice", "order_id": 11},
            {"name": "Bob", "order_id": 12},
            {"name": None, "order_id": 13},
        ],
    ),
    Case(
        "join-full",
        "FULL JOIN",
        "FULL JOIN `//t/orders` AS o",
        "SELECT u.id AS id, o.order_id AS order_id\n"
        "FROM `//t/users` AS u FULL JOIN `//t/orders` AS o ON u.id == o.user_id\n"
        "ORDER BY id, order_id;",
        [
            {"id": None, "order_id": 13},
            {"id": 1, "order_id": 10},
            {"id": 1, "order_id": 11},
            {"id": 2, "order_id": 12},
            {"id": 3, "order_id": None},
            {"id": 4, "order_id": None},
        ],
    ),
    Case(
        "join-using",
        "JOIN ... USING",
        "USING (user_id)",
        "$names = SELECT id AS user_id, name FROM `//t/users`;\n"
        "SELECT o.order_id AS order_id, n.name AS name\n"
        "FROM `//t/orders` AS o JOIN $names AS n USING (user_id) ORDER BY order_id;",
        [
            {"order_id": 10, "name": "Alice"},
            {"order_id": 11, "name": "Alice"},
            {"order_id": 12, "name": "Bob"},
        ],
    ),
    Case(
        "union-all",
        "UNION ALL",
        "UNION ALL",
        "SELECT id FROM `//t/users` WHERE id <= 2\n"
        "UNION ALL\n"
        "SELECT order_id AS id FROM `//t/orders` WHERE order_id = 10;",
        ids(1, 2, 10),
        ordered=False,
    ),
    Case(
        "union-all-by-name",
        "UNION ALL matches columns by name",
        "SELECT name, id, country FROM",
        "SELECT id, name FROM `//t/users` WHERE id = 1\n"
        "UNION ALL\n"
        "SELECT name, id, country FROM `//t/users` WHERE id = 2;",
        [
            {"id": 1, "name": "Alice", "country": None},
            {"id": 2, "name": "Bob", "country": "DE"},
        ],
        ordered=False,
        note="a column missing on one side is NULL there",
    ),
    Case(
        "in-list",
        "IN (values)",
        "WHERE id IN (1, 3)",
        "SELECT id FROM `//t/users` WHERE id IN (1, 3) ORDER BY id;",
        ids(1, 3),
    ),
    Case(
        "in-named-list",
        "IN $list",
        "WHERE id IN $wanted",
        "$wanted = AsList(2, 4);\nSELECT id FROM `//t/users` WHERE id IN $wanted ORDER BY id;",
        ids(2, 4),
    ),
    Case(
        "in-named-subquery",
        "IN $subquery",
        "WHERE id IN $buyers",
        "$buyers = SELECT user_id FROM `//t/orders`;\n"
        "SELECT id FROM `//t/users` WHERE id IN $buyers ORDER BY id;",
        ids(1, 2),
    ),
    Case(
        "not-in-subquery",
        "NOT IN (SELECT ...)",
        "NOT IN (SELECT user_id FROM `//t/orders`)",
        "SELECT id FROM `//t/users` WHERE id NOT IN (SELECT user_id FROM `//t/orders`)\n"
        "ORDER BY id;",
        ids(3, 4),
    ),
    Case(
        "subquery-in-from",
        "FROM (SELECT ...)",
        "FROM (SELECT id FROM `//t/users` WHERE age > 26)",
        "SELECT COUNT(*) AS n FROM (SELECT id FROM `//t/users` WHERE age > 26);",
        [{"n": 2}],
    ),
    Case(
        "between",
        "BETWEEN",
        "age BETWEEN 25 AND 30",
        "SELECT id FROM `//t/users` WHERE age BETWEEN 25 AND 30 ORDER BY id;",
        ids(1, 2),
    ),
    Case(
        "like",
        "LIKE",
        'name LIKE "%o%"',
        'SELECT name FROM `//t/users` WHERE name LIKE "%o%" ORDER BY name;',
        [{"name": "Bob"}, {"name": "Carol"}],
    ),
    Case(
        "is-null",
        "IS NULL",
        "WHERE age IS NULL",
        "SELECT id FROM `//t/users` WHERE age IS NULL;",
        ids(3),
    ),
    Case(
        "case-when",
        "CASE WHEN ... THEN ... ELSE ... END",
        'CASE WHEN age >= 40 THEN "senior" WHEN age >= 30 THEN "adult" ELSE "young" END',
        "SELECT id,\n"
        '  CASE WHEN age >= 40 THEN "senior" WHEN age >= 30 THEN "adult" ELSE "young" END AS band\n'
        "FROM `//t/users` ORDER BY id;",
        [
            {"id": 1, "band": "adult"},
            {"id": 2, "band": "young"},
            {"id": 3, "band": "young"},
            {"id": 4, "band": "senior"},
        ],
    ),
    Case(
        "case-value",
        "CASE x WHEN ...",
        'CASE country WHEN "NL" THEN "Dutch" ELSE "other" END',
        'SELECT id, CASE country WHEN "NL" THEN "Dutch" ELSE "other" END AS c\n'
        "FROM `//t/users` ORDER BY id;",
        [
            {"id": 1, "c": "Dutch"},
            {"id": 2, "c": "other"},
            {"id": 3, "c": "Dutch"},
            {"id": 4, "c": "other"},
        ],
    ),
    Case(
        "window-row-number",
        "window functions",
        "ROW_NUMBER() OVER (PARTITION BY country ORDER BY id)",
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY country ORDER BY id) AS rn\n"
        "FROM `//t/users` ORDER BY id;",
        [
            {"id": 1, "rn": 1},
            {"id": 2, "rn": 1},
            {"id": 3, "rn": 2},
            {"id": 4, "rn": 1},
        ],
    ),
    Case(
        "select-without",
        "SELECT * WITHOUT",
        "SELECT * WITHOUT meta, mixed, big, day",
        "SELECT * WITHOUT meta, mixed, big, day FROM `//t/users` WHERE id = 1;",
        [{"id": 1, "name": "Alice", "country": "NL", "age": 30}],
    ),
    # --- functions and operators ---------------------------------------------------------------
    Case(
        "if",
        "IF(cond, a, b)",
        'IF(age > 26, "old", "young")',
        'SELECT id, IF(age > 26, "old", "young") AS a FROM `//t/users` ORDER BY id;',
        [
            {"id": 1, "a": "old"},
            {"id": 2, "a": "young"},
            {"id": 3, "a": "young"},
            {"id": 4, "a": "old"},
        ],
    ),
    Case(
        "if-without-else",
        "IF(cond, a)",
        'IF(age > 26, "old")',
        'SELECT id, IF(age > 26, "old") AS a FROM `//t/users` ORDER BY id;',
        [{"id": 1, "a": "old"}, {"id": 2, "a": None}, {"id": 3, "a": None}, {"id": 4, "a": "old"}],
    ),
    Case(
        "count-if",
        "COUNT_IF",
        "COUNT_IF(age > 26)",
        "SELECT COUNT_IF(age > 26) AS n FROM `//t/users`;",
        [{"n": 2}],
    ),
    Case(
        "sum-if",
        "SUM_IF",
        'SUM_IF(age, country == "NL")',
        'SELECT SUM_IF(age, country == "NL") AS s FROM `//t/users`;',
        [{"s": 30}],
    ),
    Case(
        "coalesce",
        "COALESCE",
        "COALESCE(age, 0)",
        "SELECT id, COALESCE(age, 0) AS age FROM `//t/users` ORDER BY id;",
        [{"id": 1, "age": 30}, {"id": 2, "age": 25}, {"id": 3, "age": 0}, {"id": 4, "age": 41}],
    ),
    Case(
        "nvl",
        "NVL",
        'NVL(country, "unknown")',
        'SELECT id, NVL(country, "unknown") AS c FROM `//t/users` ORDER BY id;',
        [
            {"id": 1, "c": "NL"},
            {"id": 2, "c": "DE"},
            {"id": 3, "c": "NL"},
            {"id": 4, "c": "unknown"},
        ],
    ),
    Case(
        "string-contains",
        "String::Contains",
        'String::Contains(name, "a")',
        'SELECT name FROM `//t/users` WHERE String::Contains(name, "a") ORDER BY name;',
        [{"name": "Carol"}, {"name": "Dave"}],
    ),
    Case(
        "string-startswith",
        "String::StartsWith",
        'String::StartsWith(name, "C")',
        'SELECT name FROM `//t/users` WHERE String::StartsWith(name, "C");',
        [{"name": "Carol"}],
    ),
    Case(
        "string-endswith",
        "String::EndsWith",
        'String::EndsWith(name, "e")',
        'SELECT name FROM `//t/users` WHERE String::EndsWith(name, "e") ORDER BY name;',
        [{"name": "Alice"}, {"name": "Dave"}],
    ),
    Case(
        "string-tolower",
        "String::ToLower",
        "String::ToLower(name)",
        "SELECT String::ToLower(name) AS s FROM `//t/users` WHERE id = 2;",
        [{"s": "bob"}],
    ),
    Case(
        "string-toupper",
        "String::ToUpper",
        "String::ToUpper(name)",
        "SELECT String::ToUpper(name) AS s FROM `//t/users` WHERE id = 2;",
        [{"s": "BOB"}],
    ),
    Case(
        "string-splittolist",
        "String::SplitToList",
        'String::SplitToList("a,b,,c", ",")',
        'SELECT String::SplitToList("a,b,,c", ",") AS parts;',
        [{"parts": ["a", "b", "", "c"]}],
    ),
    Case(
        "string-joinfromlist",
        "String::JoinFromList",
        'String::JoinFromList(AsList("a", "b", "c"), "-")',
        'SELECT String::JoinFromList(AsList("a", "b", "c"), "-") AS s;',
        [{"s": "a-b-c"}],
    ),
    Case(
        "string-replaceall",
        "String::ReplaceAll",
        'String::ReplaceAll("banana", "an", "AN")',
        'SELECT String::ReplaceAll("banana", "an", "AN") AS s;',
        [{"s": "bANANa"}],
    ),
    Case(
        "string-concat",
        "|| (concatenation)",
        'name || "!"',
        'SELECT name || "!" AS s FROM `//t/users` WHERE id = 1;',
        [{"s": "Alice!"}],
    ),
    Case(
        "substring",
        "Substring (0-based)",
        "Substring(name, 1, 3)",
        "SELECT Substring(name, 1, 3) AS a, Substring(name, 2) AS b FROM `//t/users`\n"
        "WHERE id = 1;",
        [{"a": "lic", "b": "ice"}],
    ),
    Case(
        "length",
        "LENGTH",
        "LENGTH(name)",
        "SELECT LENGTH(name) AS n FROM `//t/users` WHERE id = 3;",
        [{"n": 5}],
    ),
    Case(
        "listlength",
        "ListLength",
        "ListLength(AsList(1, 2, 3))",
        "SELECT ListLength(AsList(1, 2, 3)) AS n;",
        [{"n": 3}],
    ),
    Case(
        "aslist",
        "AsList",
        "AsList(1, 2, 3)",
        "SELECT AsList(1, 2, 3) AS l;",
        [{"l": [1, 2, 3]}],
    ),
    Case(
        "listconcat",
        "ListConcat (strings of a list)",
        'ListConcat(AsList("a", "b"), ", ")',
        'SELECT ListConcat(AsList("a", "b")) AS s, ListConcat(AsList("a", "b"), ", ") AS t;',
        [{"s": "ab", "t": "a, b"}],
    ),
    Case(
        "listextend",
        "ListExtend (lists)",
        "ListExtend(AsList(1), AsList(2, 3))",
        "SELECT ListExtend(AsList(1), AsList(2, 3)) AS l;",
        [{"l": [1, 2, 3]}],
    ),
    Case(
        "math-basics",
        "Math:: basics",
        "Math::Sqrt(16)",
        "SELECT Math::Sqrt(16) AS a, Math::Pow(2, 10) AS b, Math::Abs(-2.5) AS c,\n"
        "Math::Floor(2.7) AS d, Math::Ceil(2.1) AS e, Math::Pi() AS pi;",
        [{"a": 4.0, "b": 1024.0, "c": 2.5, "d": 2.0, "e": 3.0, "pi": 3.141592653589793}],
    ),
    Case(
        "math-round",
        "Math::Round",
        "Math::Round(1.2345, -2)",
        "SELECT Math::Round(2.5) AS a, Math::Round(1.2345, -2) AS b, Math::Round(1234.5, 2) AS c;",
        [{"a": 3.0, "b": 1.23, "c": 1200.0}],
        note="the second argument is a power of ten, as in YQL",
    ),
    Case(
        "math-more",
        "Math:: (Double results; Mod, Rem)",
        "Math::Mod(-1, 7)",
        "SELECT Math::Trunc(-1.5) AS a, Math::Mod(-1, 7) AS b, Math::Rem(-1, 7) AS c,\n"
        "Math::Mod(1, 0) AS d, Math::FuzzyEquals(1.01, 1.0, 0.05) AS e,\n"
        "Math::IsFinite(1.0 / 0.0) AS f, Math::Sqrt(16) / 0 AS g, Math::E() AS h;",
        [
            {
                "a": -1.0,
                "b": 6,
                "c": -1,
                "d": None,
                "e": True,
                "f": False,
                "g": math.inf,
                "h": math.e,
            }
        ],
        note="Math:: answers Doubles; Mod keeps the divisor's sign, Rem the dividend's",
    ),
    Case(
        "find-rfind",
        "FIND / RFIND",
        'FIND("abcabc", "bc", 2)',
        'SELECT FIND("abcabc", "bc") AS a, FIND("abcabc", "bc", 2) AS b,\n'
        'RFIND("abcabc", "bc") AS c, RFIND("abcabc", "bc", 3) AS d, FIND("abc", "x") AS e;',
        [{"a": 1, "b": 4, "c": 4, "d": 1, "e": None}],
        note="0-based byte positions, NULL when absent; on ASCII text (other text is refused "
        "when the query runs)",
    ),
    Case(
        "substring-bytes",
        "Substring counts bytes",
        'SUBSTRING("héllo", 1, 2)',
        'SELECT SUBSTRING("héllo", 1, 2) AS a, SUBSTRING("héllo", 3) AS b;',
        [{"a": "é", "b": "llo"}],
        note="a cut through a UTF-8 character is refused when the query runs",
    ),
    Case(
        "bitcast",
        "BITCAST",
        "BITCAST(100000ul AS Int16)",
        "SELECT BITCAST(100000ul AS Int16) AS a, BITCAST(-1 AS Uint16) AS b,\n"
        "BITCAST(100000ul AS Uint32) AS c;",
        [{"a": -31072, "b": 65535, "c": 100000}],
    ),
    Case(
        "list-literals",
        "[...] lists and List functions",
        "ListNotNull([3, NULL, 4])",
        "SELECT [1, 2] AS a, ListNotNull([3, NULL, 4]) AS b, ListFlatten([[1], [2, 3]]) AS c,\n"
        "ListFromRange(-2, 2) AS d, ListReplicate(true, 2) AS e;",
        [{"a": [1, 2], "b": [3, 4], "c": [1, 2, 3], "d": [-2, -1, 0, 1], "e": [True, True]}],
        note="ListFromRange over integers",
    ),
    Case(
        "typed-string-literal",
        "Utf8(...), String::Base64Encode",
        'Utf8("YQL")',
        'SELECT Utf8("YQL") AS a, String::Base64Encode("YQL") AS b;',
        [{"a": "YQL", "b": "WVFM"}],
    ),
    Case(
        "null-coalescing",
        "?? (COALESCE)",
        "age ?? 0",
        "SELECT id, age ?? 0 AS a FROM `//t/users` WHERE id IN (1, 3);",
        [{"id": 1, "a": 30}, {"id": 3, "a": 0}],
    ),
    Case(
        "named-lambda",
        "$f = ($x, $y?) -> ...; $f(...)",
        "$add = ($x, $y?) -> ($x + ($y ?? 0));",
        "$add = ($x, $y?) -> ($x + ($y ?? 0));\n"
        '$label = ($name) -> {\n    $prefix = "user ";\n    RETURN $prefix || $name;\n};\n'
        "SELECT $add(id) AS a, $add(id, 10) AS b, $label(name) AS c\n"
        "FROM `//t/users` WHERE id == 1;",
        [{"a": 1, "b": 11, "c": "user Alice"}],
        note="inlined where it is called; a { ... } block binds $names, then RETURNs",
    ),
    Case(
        "list-lambdas",
        "ListMap, ListFilter, ListFold, ListTakeWhile, ListSkipWhile",
        "ListMap($l, ($x) -> ($x * 2))",
        "$l = AsList(1, 2, 5, 1);\n"
        "SELECT ListMap($l, ($x) -> ($x * 2)) AS m, ListFilter($l, ($x) -> ($x > 1)) AS f,\n"
        "ListFold($l, 100, ($item, $state) -> ($state - $item)) AS s,\n"
        "ListTakeWhile($l, ($x) -> ($x < 5)) AS t, ListSkipWhile($l, ($x) -> ($x < 5)) AS k;",
        [{"m": [2, 4, 10, 2], "f": [2, 5], "s": 91, "t": [1, 2], "k": [5, 1]}],
    ),
    Case(
        "not-precedence",
        "NOT binds tighter than a comparison",
        "NOT (1 < 2) IS NULL",
        "SELECT NOT (1 > 2) < (1 > 2) AS a, NOT (1 < 2) IS NULL AS b, NOT (1 < 2) AS c;",
        [{"a": False, "b": False, "c": False}],
        note="as in YQL's grammar: NOT x IS NULL is (NOT x) IS NULL; NOT of a non-Bool is "
        "refused when the query runs",
    ),
    Case(
        "in-with-null",
        "IN over a list holding NULL",
        "age IN (30, NULL)",
        "SELECT id, age IN (30, NULL) AS a, age NOT IN (30, NULL) AS b FROM `//t/users`\n"
        "WHERE id IN (1, 2, 3);",
        [
            {"id": 1, "a": True, "b": False},
            {"id": 2, "a": False, "b": True},
            {"id": 3, "a": None, "b": None},
        ],
        note="false when nothing matches, as YQL answers without PRAGMA "
        "AnsiInForEmptyOrNullableItemsCollections (with it: NULL)",
    ),
    Case(
        "count-is-uint64",
        "COUNT is a Uint64",
        "COUNT(*) - 5",
        "SELECT COUNT(*) - 5 AS a, COUNT(*) / -2 AS b, CAST(COUNT(*) AS Int64) - 5 AS c\n"
        "FROM `//t/users`;",
        [{"a": 2**64 - 1, "b": 0, "c": -1}],
        note="arithmetic with an integer literal wraps around in Uint64, as YQL computes it",
    ),
    Case(
        "datetime-parts",
        "DateTime::Get*",
        "DateTime::GetDayOfWeek(d)",
        "SELECT DateTime::GetYear(d) AS y, DateTime::GetMonth(d) AS m,\n"
        "DateTime::GetDayOfMonth(d) AS dd, DateTime::GetDayOfWeek(d) AS dow\n"
        "FROM (SELECT CAST(day AS Date) AS d FROM `//t/users` WHERE id = 2);",
        [{"y": 2024, "m": 2, "dd": 29, "dow": 4}],
    ),
    Case(
        "datetime-format",
        "DateTime::Format",
        'DateTime::Format("%d.%m.%Y")(CAST(day AS Date))',
        'SELECT DateTime::Format("%d.%m.%Y")(CAST(day AS Date)) AS s FROM `//t/users`\n'
        "WHERE id = 1;",
        [{"s": "15.01.2024"}],
    ),
    Case(
        "datetime-startofmonth",
        "DateTime::StartOfMonth, MakeDate",
        "DateTime::MakeDate(DateTime::StartOfMonth(CAST(day AS Date)))",
        "SELECT CAST(DateTime::MakeDate(DateTime::StartOfMonth(CAST(day AS Date))) AS String)\n"
        "AS s FROM `//t/users` WHERE id = 2;",
        [{"s": "2024-02-01"}],
    ),
    Case(
        "datetime-toseconds",
        "DateTime::ToSeconds",
        'DateTime::ToSeconds(CAST("2024-01-01T00:00:00Z" AS Timestamp))',
        'SELECT DateTime::ToSeconds(CAST("2024-01-01T00:00:00Z" AS Timestamp)) AS s;',
        [{"s": 1704067200}],
    ),
    Case(
        "yson-lookup",
        "Yson::Lookup*",
        'Yson::LookupInt64(meta, "a")',
        'SELECT id, Yson::LookupInt64(meta, "a") AS a FROM `//t/users` ORDER BY id;',
        [{"id": 1, "a": 1}, {"id": 2, "a": 2}, {"id": 3, "a": 3}, {"id": 4, "a": None}],
    ),
    Case(
        "yson-convert",
        "Yson::ConvertTo*",
        'Yson::ConvertToInt64(Yson::Lookup(meta, "a"))',
        'SELECT Yson::ConvertToInt64(Yson::Lookup(meta, "a")) AS a,\n'
        "Yson::ConvertToString(mixed) AS s FROM `//t/users` WHERE id = 2;",
        [{"a": 2, "s": "two"}],
    ),
    Case(
        "yson-convert-list",
        "Yson::ConvertToList, ConvertToStringList",
        'Yson::ConvertToStringList(Yson::Lookup(meta, "tags"))',
        'SELECT id, ListLength(Yson::ConvertToList(Yson::Lookup(meta, "tags"))) AS n,\n'
        'Yson::ConvertToStringList(Yson::Lookup(meta, "tags")) AS tags\n'
        "FROM `//t/users` ORDER BY id;",
        [
            {"id": 1, "n": 2, "tags": ["x", "y"]},
            {"id": 2, "n": 0, "tags": []},
            {"id": 3, "n": 1, "tags": ["z"]},
            {"id": 4, "n": None, "tags": None},
        ],
    ),
    Case(
        "cast-string",
        "CAST(x AS String)",
        "CAST(id AS String)",
        "SELECT CAST(id AS String) AS s, CAST(true AS String) AS b, CAST(2.5 AS String) AS d,\n"
        "CAST(5.0 AS String) AS w FROM `//t/users` WHERE id = 1;",
        [{"s": "1", "b": "true", "d": "2.5", "w": "5"}],
    ),
    Case(
        "cast-utf8",
        "CAST(x AS Utf8)",
        "CAST(age AS Utf8)",
        "SELECT CAST(age AS Utf8) AS s FROM `//t/users` ORDER BY id;",
        [{"s": "30"}, {"s": "25"}, {"s": None}, {"s": "41"}],
    ),
    Case(
        "cast-int64",
        "CAST(x AS Int64)",
        'CAST("42" AS Int64)',
        'SELECT CAST("42" AS Int64) AS a, CAST(big AS Int64) AS b, CAST(3.7 AS Int64) AS c,\n'
        "CAST(-3.7 AS Int64) AS d FROM `//t/users` WHERE id = 1;",
        [{"a": 42, "b": 2**62 + 1, "c": 3, "d": -3}],
        note="a Double's fraction is dropped, as in YQL",
    ),
    Case(
        "cast-uint64",
        "CAST(x AS Uint64)",
        'CAST("18446744073709551615" AS Uint64)',
        'SELECT CAST("18446744073709551615" AS Uint64) AS a, CAST(-1 AS Uint64) AS b;',
        [{"a": 2**64 - 1, "b": None}],
    ),
    Case(
        "cast-double",
        "CAST(x AS Double)",
        'CAST("2.5" AS Double)',
        'SELECT CAST("2.5" AS Double) AS a, CAST(age AS Double) AS b FROM `//t/users`\n'
        "WHERE id = 1;",
        [{"a": 2.5, "b": 30.0}],
    ),
    Case(
        "cast-bool",
        "CAST(x AS Bool)",
        'CAST("true" AS Bool)',
        'SELECT CAST("true" AS Bool) AS a, CAST(0 AS Bool) AS b;',
        [{"a": True, "b": False}],
    ),
    Case(
        "cast-failure-is-null",
        "a CAST that fails is NULL",
        'CAST("abc" AS Int64)',
        'SELECT CAST("abc" AS Int64) AS a, CAST("3.7" AS Int64) AS b, CAST("x" AS Double) AS c;',
        [{"a": None, "b": None, "c": None}],
    ),
    Case(
        "double-equals",
        "== and =",
        'country == "DE"',
        'SELECT id FROM `//t/users` WHERE country == "DE" OR country = "XX";',
        ids(2),
    ),
    Case(
        "not-equals",
        "!= and <>",
        'country != "NL"',
        'SELECT COUNT(*) AS n FROM `//t/users` WHERE country != "NL" AND country <> "XX";',
        [{"n": 1}],
    ),
    Case(
        "integer-division",
        "integer / integer",
        "7 / 2",
        "SELECT 7 / 2 AS a, -7 / 2 AS b, 7 % 3 AS c, 7.0 / 2 AS d, 1 / 0 AS e;",
        [{"a": 3, "b": -3, "c": 1, "d": 3.5, "e": None}],
        note="stays an integer, as with PRAGMA ClassicDivision; / 0 is NULL",
    ),
    Case(
        "double-division",
        "a Double divided by zero",
        "1.0 / 0",
        "SELECT 1.0 / 0 AS a, -1 / 0.0 AS b, CAST(age AS Double) / 0 AS c, 7.5 % 2 AS d\n"
        "FROM `//t/users` WHERE id == 1;",
        [{"a": math.inf, "b": -math.inf, "c": math.inf, "d": 1.5}],
        note="inf or -inf (nan for 0.0 / 0.0) where the text shows a Double; a Double only "
        "the data reveals is refused",
    ),
    Case(
        "min-by-max-by",
        "MIN_BY / MAX_BY",
        "MIN_BY(name, age)",
        "SELECT MIN_BY(name, age) AS youngest, MAX_BY(name, age) AS oldest FROM `//t/users`;",
        [{"youngest": "Bob", "oldest": "Dave"}],
    ),
    Case(
        "some",
        "SOME",
        "SOME(name)",
        'SELECT country, SOME(name) AS who FROM `//t/users` WHERE country == "DE"\n'
        "GROUP BY country;",
        [{"country": "DE", "who": "Bob"}],
    ),
    Case(
        "aggregate-list",
        "AGGREGATE_LIST",
        "AGGREGATE_LIST(id)",
        'SELECT ListSort(AGGREGATE_LIST(id)) AS ids FROM `//t/users` WHERE country == "NL";',
        [{"ids": [1, 3]}],
    ),
    # --- lexical -------------------------------------------------------------------------------
    Case(
        "number-suffixes",
        "number suffixes (10u, 5l, 0x1F)",
        "10u AS a, 5l AS b",
        "SELECT 10u AS a, 5l AS b, 7ul AS c, 3t AS d, 2s AS e, 0x1F AS f;",
        [{"a": 10, "b": 5, "c": 7, "d": 3, "e": 2, "f": 31}],
    ),
    Case(
        "raw-string",
        "@@raw strings@@",
        '@@it\'s "raw"@@',
        'SELECT @@it\'s "raw"@@ AS s;',
        [{"s": 'it\'s "raw"'}],
    ),
    Case(
        "double-quoted-string",
        '"double quotes" are a string',
        'SELECT "name" AS s',
        'SELECT "name" AS s FROM `//t/users` WHERE id = 1;',
        [{"s": "name"}],
    ),
    Case(
        "string-escapes",
        "escapes in strings",
        "'it\\'s'",
        "SELECT \"a\\tb\" AS s, 'it\\'s' AS t;",
        [{"s": "a\tb", "t": "it's"}],
    ),
    Case(
        "comments",
        "-- and /* */ comments",
        "/* a block",
        "-- a line comment\nSELECT /* a block\ncomment */ 1 AS x; -- trailing",
        [{"x": 1}],
    ),
    # --- types -------------------------------------------------------------------------------
    Case(
        "types-missing-key-is-null",
        "a missing key reads as NULL",
        "SELECT id, age",
        "SELECT id, age FROM `//t/users` WHERE id = 3;",
        [{"id": 3, "age": None}],
    ),
    Case(
        "types-mixed-column",
        "a column of mixed types",
        "SELECT id, mixed",
        "SELECT id, mixed FROM `//t/users` ORDER BY id;",
        [
            {"id": 1, "mixed": 1},
            {"id": 2, "mixed": "two"},
            {"id": 3, "mixed": [3]},
            {"id": 4, "mixed": None},
        ],
        note="read as Yson (JSON), each value as it is",
    ),
    Case(
        "types-nested",
        "nested values",
        "SELECT meta",
        "SELECT meta FROM `//t/users` WHERE id = 1;",
        [{"meta": {"a": 1, "tags": ["x", "y"]}}],
    ),
    Case(
        "types-date-like-string",
        "date-like strings stay strings",
        'day < "2024-01-01"',
        'SELECT day FROM `//t/users` WHERE day < "2024-01-01";',
        [{"day": "2023-12-31"}],
    ),
    Case(
        "types-int64-precision",
        "int64 keeps full precision",
        "big + 1",
        "SELECT big, big + 1 AS next FROM `//t/users` WHERE id = 1;",
        [{"big": 2**62 + 1, "next": 2**62 + 2}],
    ),
    Case(
        "types-int-and-double",
        "a column of ints and doubles",
        "SELECT k, score",
        "SELECT k, score FROM `//t/scores` ORDER BY k;",
        [{"k": "a", "score": 1.0}, {"k": "b", "score": 2.5}],
        note="read as Double: 1 comes back as 1.0",
    ),
]


def _typed(value: Any) -> Any:
    """``value`` with every scalar tagged by its type, so 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_typed(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    return (type(value).__name__, value)


def _sort_key(row: dict[str, Any]) -> str:
    return repr(sorted(row.items(), key=lambda item: item[0]))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_supported_construct(case: Case, yt: DevClient) -> None:
    rows = yt.run_yql(case.query)
    if case.ordered:
        assert _typed(rows) == _typed(case.expected)
    else:
        assert sorted(map(_sort_key, map(_typed, rows))) == sorted(
            map(_sort_key, map(_typed, case.expected))
        )


@dataclass(frozen=True)
class Refused:
    """An unsupported construct: ``message`` is the first line of the error users get."""

    id: str
    construct: str
    query: str
    line: int
    message: str


# Line 1 of many queries writes //t/out: the refusal must come before any statement runs.
WRITE = "INSERT INTO `//t/out` WITH TRUNCATE SELECT * FROM `//t/users`;\n"
HINT = "rewrite it, or run it in prod"

REFUSED: list[Refused] = [
    Refused(
        "flatten-by",
        "FLATTEN BY",
        WRITE + "SELECT id FROM `//t/users`\nFLATTEN BY meta;",
        3,
        "YQL line 3: FLATTEN BY is not supported (column 1)",
    ),
    Refused(
        "lambda-arity",
        "a lambda called with too many arguments",
        WRITE + "$inc = ($x) -> { RETURN $x + 1; };\nSELECT $inc(id, 2) AS y FROM `//t/users`;",
        3,
        "YQL line 3: $inc takes 1 argument(s), got 2",
    ),
    Refused(
        "define-action",
        "DEFINE ACTION",
        WRITE + "DEFINE ACTION $hello() AS\n  SELECT 1;\nEND DEFINE;",
        2,
        "YQL line 2: DEFINE ACTION / DEFINE SUBQUERY is not supported by the dev YQL engine",
    ),
    Refused(
        "define-subquery",
        "DEFINE SUBQUERY",
        WRITE + "DEFINE SUBQUERY $q() AS\n  SELECT 1 AS x;\nEND DEFINE;",
        2,
        "YQL line 2: DEFINE ACTION / DEFINE SUBQUERY is not supported by the dev YQL engine",
    ),
    Refused(
        "evaluate",
        "EVALUATE FOR / EVALUATE IF",
        WRITE + "EVALUATE FOR $i IN AsList(1, 2) DO $hello($i);",
        2,
        "YQL line 2: EVALUATE (FOR / IF) is not supported by the dev YQL engine",
    ),
    Refused(
        "do-action",
        "DO",
        WRITE + "DO $hello();",
        2,
        "YQL line 2: DO (actions) is not supported by the dev YQL engine",
    ),
    Refused(
        "process",
        "PROCESS",
        WRITE + "PROCESS `//t/users`;",
        2,
        "YQL line 2: PROCESS is not supported by the dev YQL engine",
    ),
    Refused(
        "reduce",
        "REDUCE",
        WRITE + "REDUCE `//t/users` ON id USING $f(TableRow());",
        2,
        "YQL line 2: REDUCE (the YQL statement; use run_reduce) is not supported by the dev "
        "YQL engine",
    ),
    Refused(
        "discard",
        "DISCARD",
        WRITE + "DISCARD SELECT 1;",
        2,
        "YQL line 2: DISCARD is not supported by the dev YQL engine",
    ),
    Refused(
        "declare",
        "DECLARE",
        WRITE + "DECLARE $limit AS Int64;",
        2,
        "YQL line 2: DECLARE (query parameters) is not supported by the dev YQL engine",
    ),
    Refused(
        "import",
        "IMPORT",
        WRITE + "IMPORT lib SYMBOLS $f;",
        2,
        "YQL line 2: IMPORT of YQL modules is not supported by the dev YQL engine",
    ),
    Refused(
        "upsert",
        "UPSERT INTO",
        WRITE + "UPSERT INTO `//t/dyn` SELECT 1 AS x;",
        2,
        "YQL line 2: UPSERT INTO (dynamic tables) is not supported by the dev YQL engine",
    ),
    Refused(
        "create-table",
        "CREATE TABLE",
        WRITE + "CREATE TABLE `//t/new` (x Int64);",
        2,
        "YQL line 2: CREATE TABLE is not supported by the dev YQL engine",
    ),
    Refused(
        "drop-table",
        "DROP TABLE",
        WRITE + "DROP TABLE `//t/users`;",
        2,
        "YQL line 2: DROP TABLE is not supported by the dev YQL engine",
    ),
    Refused(
        "re2",
        "Re2:: functions",
        WRITE + 'SELECT Re2::Grep("^A")(name) AS x FROM `//t/users`;',
        2,
        "YQL line 2: Re2::Grep is not supported by the dev YQL engine (column 8)",
    ),
    Refused(
        "unicode",
        "Unicode:: functions",
        WRITE + "SELECT\n  Unicode::ToLower(name) AS x FROM `//t/users`;",
        3,
        "YQL line 3: Unicode::ToLower is not supported by the dev YQL engine (column 3)",
    ),
    Refused(
        "unknown-module-function",
        "unknown Module::Function",
        WRITE + "SELECT String::Frobnicate(name) AS x FROM `//t/users`;",
        2,
        "YQL line 2: String::Frobnicate is not supported by the dev YQL engine (column 8)",
    ),
    Refused(
        "unknown-function",
        "unknown function",
        WRITE + "SELECT\n  Frobnicate(name) AS x FROM `//t/users`;",
        3,
        "YQL line 3: function Frobnicate() is not supported by the dev YQL engine (column 3)",
    ),
    Refused(
        "regexp",
        "REGEXP / RLIKE / MATCH",
        WRITE + 'SELECT id FROM `//t/users` WHERE name REGEXP "^A";',
        2,
        "YQL line 2: REGEXP is not supported (column 39)",
    ),
    Refused(
        "left-only-join",
        "LEFT ONLY JOIN",
        WRITE + "SELECT a.id AS id FROM `//t/users` AS a\n"
        "LEFT ONLY JOIN `//t/orders` AS b ON a.id == b.user_id;",
        3,
        "YQL line 3: LEFT/RIGHT ONLY JOIN is not supported (column 6)",
    ),
    Refused(
        "left-semi-join",
        "LEFT SEMI JOIN",
        WRITE + "SELECT a.id AS id FROM `//t/users` AS a\n"
        "LEFT SEMI JOIN `//t/orders` AS b ON a.id == b.user_id;",
        3,
        "YQL line 3: LEFT/RIGHT SEMI JOIN is not supported (column 6)",
    ),
    Refused(
        "exclusion-join",
        "EXCLUSION JOIN",
        WRITE + "SELECT a.id AS id FROM `//t/users` AS a\n"
        "EXCLUSION JOIN `//t/orders` AS b ON a.id == b.user_id;",
        3,
        "YQL line 3: EXCLUSION JOIN is not supported (column 1)",
    ),
    Refused(
        "any-join",
        "JOIN ANY",
        WRITE + "SELECT a.id AS id FROM `//t/users` AS a\n"
        "JOIN ANY `//t/orders` AS b ON a.id == b.user_id;",
        3,
        "YQL line 3: ANY join is not supported (column 6)",
    ),
    Refused(
        "sample",
        "SAMPLE / TABLESAMPLE",
        WRITE + "SELECT id FROM `//t/users`\nSAMPLE 0.5;",
        3,
        "YQL line 3: SAMPLE is not supported (column 1)",
    ),
    Refused(
        "assume-order-by",
        "ASSUME ORDER BY",
        WRITE + "SELECT id FROM `//t/users`\nASSUME ORDER BY id;",
        3,
        "YQL line 3: ASSUME ORDER BY is not supported (column 1)",
    ),
    Refused(
        "correlated-subquery",
        "a correlated subquery",
        WRITE + "SELECT (SELECT COUNT(*) FROM `//t/orders` AS o WHERE o.user_id == u.id) AS n\n"
        "FROM `//t/users` AS u;",
        2,
        "YQL line 2: a correlated subquery (u.id names the enclosing query's u; YQL has none: "
        "JOIN instead) is not supported by the dev YQL engine (column 67)",
    ),
    Refused(
        "array-constructor",
        "ARRAY[...]",
        WRITE + "SELECT ARRAY[1, 2] AS a;",
        2,
        "YQL line 2: ARRAY[...] (YQL writes a list as [...] or AsList(...)) is not supported "
        "(column 8)",
    ),
    Refused(
        "bitcast-to-string",
        "BITCAST to a non-integer type",
        WRITE + "SELECT BITCAST(id AS String) FROM `//t/users`;",
        2,
        "YQL line 2: BITCAST to String is not supported (only to integer types) (column 15)",
    ),
    Refused(
        "unknown-cast-type",
        "CAST to another type",
        WRITE + "SELECT\n  CAST(id AS Decimal(10, 2)) AS x FROM `//t/users`;",
        3,
        "YQL line 3: CAST to Decimal(10,2) is not supported (supported: Bool, Date, Datetime, "
        "Double, Float, Int16, Int32, Int64, Int8, Json, String, Timestamp, Uint16, Uint32, "
        "Uint64, Uint8, Utf8, Yson) (column 7)",
    ),
    Refused(
        "insert-column-list",
        "INSERT INTO with a column list",
        WRITE + "INSERT INTO `//t/out` (a, b)\nSELECT 1, 2;",
        2,
        "YQL line 2: INSERT INTO with a column list is not supported (column 1)",
    ),
    Refused(
        "insert-with-hint",
        "INSERT INTO ... WITH (other than TRUNCATE)",
        WRITE + "INSERT INTO `//t/out` WITH COMPRESSION_CODEC=lz4 SELECT 1 AS x;",
        2,
        "YQL line 2: INSERT INTO ... WITH COMPRESSION_CODEC is not supported (column 1)",
    ),
    Refused(
        "unknown-number-suffix",
        "a number with an unknown suffix",
        WRITE + "SELECT\n  10q AS x;",
        3,
        "YQL line 3: number literal '10q' has an unknown type suffix (column 3)",
    ),
    Refused(
        "undefined-named-expression",
        "a $name used before it is defined",
        WRITE + "SELECT id FROM `//t/users`\nWHERE id > $nope;",
        3,
        "YQL line 3: $nope is used before it is defined",
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case.id for case in REFUSED])
def test_refused_construct(case: Refused, yt: DevClient) -> None:
    with pytest.raises(YqlError) as caught:
        yt.run_yql(case.query)
    assert str(caught.value).splitlines()[0] == case.message
    assert caught.value.line == case.line
    assert case.line >= 2  # line numbers are proven past the first line
    assert not yt.exists("//t/out"), "the INSERT on line 1 ran before the refusal"


def test_case_ids_are_unique() -> None:
    all_ids = [case.id for case in CASES] + [case.id for case in REFUSED]
    assert len(all_ids) == len(set(all_ids))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_example_is_part_of_the_query(case: Case) -> None:
    assert " ".join(case.example.split()) in " ".join(case.query.split())


# --- docs/yql.md tables --------------------------------------------------------------------

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cell(text: str) -> str:
    text = text.strip().replace("\\|", "|")
    for fence in ("``", "`"):
        if len(text) > 2 * len(fence) and text.startswith(fence) and text.endswith(fence):
            return text[len(fence) : -len(fence)].strip()
    return text


def _doc_table(heading: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    marker = f"\n## {heading}\n"
    assert marker in text, f"docs/yql.md has no '## {heading}' section"
    section = text.split(marker, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[_cell(cell) for cell in _CELL_SPLIT.split(line)[1:-1]] for line in lines[2:]]


def test_doc_conformance_table_matches_the_cases() -> None:
    rows = _doc_table("Conformance")
    documented = [(row[0], row[1], row[2], row[3]) for row in rows]
    expected = [
        (case.construct, case.example, "yes" + (f"; {case.note}" if case.note else ""), case.id)
        for case in CASES
    ]
    assert documented == expected


def test_doc_unsupported_table_matches_the_refusals() -> None:
    rows = _doc_table("Not supported in dev")
    documented = [(row[0], row[1], row[2]) for row in rows]
    expected = [(case.construct, case.message, case.id) for case in REFUSED]
    assert documented == expected


def test_refusals_carry_a_hint(yt: DevClient) -> None:
    with pytest.raises(YqlError) as caught:
        yt.run_yql("SELECT 1 FROM `//t/users`\nFLATTEN BY meta;")
    assert HINT in str(caught.value)
