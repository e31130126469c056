"""The sqlglot-based YQL translator (``ytflow.yql.ast``): YQL text in, DuckDB SQL out, and
that SQL run on in-memory DuckDB over small tables, against rows written by hand from YQL's
semantics (each bug of issue 16 included)."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pytest

from bench.yql_translate import scripts
from ytflow.errors import YqlError
from ytflow.yql.ast import SESSION_SQL, AstStatement, AstTranslator, to_duckdb

_TABLES = {
    "//t/u": "SELECT * FROM (VALUES (1, 'NL', 30, 'x'), (2, 'DE', 25, 'y'), (3, 'NL', NULL, 'x'))"
    ' AS v("id", "country", "age", "Group")',
    "//t/o": "SELECT * FROM (VALUES (10, 1, 5), (11, 1, 10), (12, 2, 7))"
    ' AS v("order_id", "user_id", "amount")',
}


def _view(path: str, line: int) -> str:
    return '"' + path.strip("/").replace("/", "_") + '"'


def translate(text: str) -> list[AstStatement]:
    return AstTranslator(_view).script(text)


def sql(text: str) -> str:
    return translate(text)[-1].sql


def run(text: str) -> list[dict[str, Any]]:
    connection = duckdb.connect()
    for setting in SESSION_SQL:
        connection.execute(setting)
    for path, body in _TABLES.items():
        connection.execute(f"CREATE VIEW {_view(path, 0)} AS {body}")
    result = connection.execute(sql(text))
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@pytest.mark.parametrize(
    ("yql", "duck"),
    [
        ("SELECT id FROM `//t/u`", 'SELECT "id" FROM "t_u"'),
        ("SELECT `Group`, Value FROM `//t/u`", 'SELECT "Group", "Value" FROM "t_u"'),
        ('SELECT "s"', "SELECT 's' AS \"column0\""),
        (
            "SELECT 1 == 1, 2 != 3, 4 <> 5",
            'SELECT 1 = 1 AS "column0", 2 <> 3 AS "column1", 4 <> 5 AS "column2"',
        ),
        (
            "SELECT 1u, 2l, 3ul, 0x1F",
            'SELECT CAST(1 AS UINTEGER) AS "column0", CAST(2 AS BIGINT) AS "column1", '
            'CAST(3 AS UBIGINT) AS "column2", 31 AS "column3"',
        ),
        ("SELECT * WITHOUT id, age FROM `//t/u`", 'SELECT * EXCLUDE ("id", "age") FROM "t_u"'),
        ("SELECT id FROM hahn.`//t/u` AS u", 'SELECT "id" FROM "t_u" AS "u"'),
        ("SELECT id FROM `t/u`", 'SELECT "id" FROM "t_u"'),
        (
            'SELECT String::Contains(country, "N") AS c FROM `//t/u`',
            'SELECT contains("country", \'N\') AS "c" FROM "t_u"',
        ),
        (
            "SELECT IF(age > 26, 1, 2) AS a FROM `//t/u`",
            'SELECT (CASE WHEN "age" > 26 THEN 1 ELSE 2 END) AS "a" FROM "t_u"',
        ),
        ("SELECT NVL(age, 0) AS a FROM `//t/u`", 'SELECT coalesce("age", 0) AS "a" FROM "t_u"'),
        (
            "SELECT id FROM `//t/u` ORDER BY age",
            'SELECT "id" FROM "t_u" ORDER BY "age" NULLS FIRST',
        ),
        (
            "SELECT id FROM `//t/u` UNION ALL SELECT id FROM `//t/o`",
            'SELECT "id" FROM "t_u" UNION ALL BY NAME SELECT "id" FROM "t_o"',
        ),
        (
            "$n = 2; SELECT id FROM `//t/u` WHERE id == $n",
            'SELECT "id" FROM "t_u" WHERE "id" = (2)',
        ),
        (
            "$q = (SELECT id FROM `//t/u`); SELECT id FROM $q",
            'WITH "q_q" AS (SELECT "id" FROM "t_u") SELECT "id" FROM "q_q"',
        ),
        (
            "SELECT country, COUNT(*) FROM `//t/u` GROUP BY country",
            'SELECT "country", CAST(count(*) AS UBIGINT) AS "column1" FROM "t_u" '
            'GROUP BY "country"',
        ),
    ],
)
def test_yql_becomes_duckdb_sql(yql: str, duck: str) -> None:
    assert sql(yql) == duck


def test_statements_carry_kind_line_target_and_tables() -> None:
    statements = translate(
        'USE hahn;\nPRAGMA yt.Pool = "p";\n$q = SELECT id FROM `//t/u`;\n'
        "INSERT INTO `//t/out` WITH TRUNCATE SELECT * FROM $q;\nCOMMIT;\nSELECT 1 AS one"
    )
    assert [(s.kind, s.line) for s in statements] == [
        ("use", 1),
        ("pragma", 2),
        ("insert", 4),
        ("commit", 5),
        ("select", 6),
    ]
    insert = statements[2]
    assert (insert.target, insert.truncate, insert.tables) == ("//t/out", True, ["//t/u"])
    assert statements[1].pragma == "yt.Pool"


def test_the_table_callback_gets_each_path_and_its_line() -> None:
    seen: list[tuple[str, int]] = []

    def tables(path: str, line: int) -> str:
        seen.append((path, line))
        return _view(path, line)

    AstTranslator(tables).script(
        "SELECT 1;\nSELECT u.id\nFROM `//t/u` AS u\nJOIN `t/o` AS o ON u.id == o.user_id"
    )
    assert seen == [("//t/u", 3), ("//t/o", 4)]


def test_keyword_named_columns_run() -> None:
    assert run("SELECT `Group` AS g FROM `//t/u` WHERE id == 1") == [{"g": "x"}]


def test_unnamed_columns_are_column_n() -> None:
    rows = run(
        "SELECT country, COUNT(*), MAX(age), 'text' FROM `//t/u` WHERE id < 3 "
        "GROUP BY country ORDER BY country"
    )
    assert rows == [
        {"country": "DE", "column1": 1, "column2": 25, "column3": "text"},
        {"country": "NL", "column1": 1, "column2": 30, "column3": "text"},
    ]


def test_group_by_alias_stays_in_its_scope() -> None:
    # the subquery's k is its own column (o's user_id renamed), not the outer alias
    text = (
        "SELECT k, COUNT(*) AS n FROM `//t/u` "
        "WHERE id IN (SELECT k FROM (SELECT user_id AS k FROM `//t/o`)) "
        "GROUP BY country AS k ORDER BY k"
    )
    assert run(text) == [{"k": "DE", "n": 1}, {"k": "NL", "n": 1}]


def test_group_by_expression_alias_in_select_having_order() -> None:
    text = (
        "SELECT d, COUNT(*) AS n FROM `//t/u` GROUP BY age / 10 AS d HAVING d > 0 ORDER BY d DESC"
    )
    assert run(text) == [{"d": 3, "n": 1}, {"d": 2, "n": 1}]


def test_select_star_with_group_by_returns_grouping_columns() -> None:
    assert run("SELECT * FROM `//t/u` GROUP BY country ORDER BY country") == [
        {"country": "DE"},
        {"country": "NL"},
    ]
    assert run("SELECT * FROM `//t/u` GROUP BY country AS c ORDER BY c") == [
        {"c": "DE"},
        {"c": "NL"},
    ]


def test_nulls_first_ascending_and_integer_division() -> None:
    assert run("SELECT id, age / 7 AS a FROM `//t/u` ORDER BY age") == [
        {"id": 3, "a": None},
        {"id": 2, "a": 3},
        {"id": 1, "a": 4},
    ]


def test_division_by_zero_is_null_for_integers_and_ieee_for_doubles() -> None:
    [row] = run(
        "SELECT 7 / 0 AS i, 7 % 0 AS m, -7 / 2 AS t, -7 % 2 AS r, 1.0 / 0 AS p, -1 / 0.0 AS n, "
        "0.0 / 0.0 AS z, CAST(age AS Double) / 0 AS c, 7.5 % 0 AS fm, age / 0 AS a, "
        "age / 7 * 2 AS chain FROM `//t/u` WHERE id = 1"
    )
    assert (row["i"], row["m"], row["t"], row["r"], row["a"]) == (None, None, -3, -1, None)
    assert (row["p"], row["n"], row["c"], row["chain"]) == (math.inf, -math.inf, math.inf, 8)
    assert math.isnan(row["z"]) and math.isnan(row["fm"])


def test_named_subquery_and_in_named() -> None:
    text = (
        "$buyers = SELECT user_id FROM `//t/o`;\n$few = AsList(2, 3);\n"
        "SELECT id FROM `//t/u` WHERE id IN $buyers AND id IN $few"
    )
    assert run(text) == [{"id": 2}]


def test_cast_failure_is_null_and_double_truncates() -> None:
    rows = run(
        'SELECT CAST("abc" AS Int64) AS a, CAST(3.7 AS Int64) AS b, CAST(5.0 AS String) AS c'
    )
    assert rows == [{"a": None, "b": 3, "c": "5"}]


def test_nested_casts_stay_small() -> None:
    text = (
        "SELECT CAST(CAST(CAST(CAST(id AS String) AS Int64) AS String) AS Int64) AS x FROM `//t/u`"
    )
    assert len(sql(text)) < 2000
    assert run(text + " WHERE id == 2") == [{"x": 2}]


def test_curried_datetime_format_and_module_functions() -> None:
    text = (
        'SELECT DateTime::Format("%Y")(CAST("2024-01-15" AS Date)) AS y, String::ToUpper("a") AS u'
    )
    assert run(text) == [{"y": "2024", "u": "A"}]


@pytest.mark.parametrize(
    ("yql", "construct"),
    [
        ("SELECT AsList(1, 2)[0]", "indexing with [...] (YQL counts from 0)"),
        ("SELECT DISTINCT ON (id) id FROM `//t/u`", "DISTINCT ON"),
        ("SELECT * FROM `//t/u` AS a NATURAL JOIN `//t/o` AS b", "NATURAL JOIN"),
        ("SELECT * EXCLUDE (id) FROM `//t/u`", "SELECT * EXCEPT / EXCLUDE"),
        ("SELECT * REPLACE (1 AS id) FROM `//t/u`", "SELECT * REPLACE"),
        ("SELECT id FROM `//t/u` INTERSECT SELECT id FROM `//t/u`", "INTERSECT"),
        ("SELECT 1 AS a FROM `//t/u` WHERE EXISTS (WITH x AS (SELECT 1) SELECT 1)", "WITH (common"),
        ("WITH x AS (SELECT 1 AS a) SELECT a FROM x", "WITH is not a YQL statement dev runs"),
        ("COPY (SELECT 1) TO 'out.csv'", "COPY is not a YQL statement dev runs"),
        ("ATTACH 'x.db'", "ATTACH is not a YQL statement dev runs"),
        (
            "DEFINE ACTION $a() AS SELECT 1; END DEFINE",
            "DEFINE ACTION / DEFINE SUBQUERY is not supported",
        ),
        ("UPSERT INTO `//t/u` SELECT 1", "UPSERT INTO (dynamic tables) is not supported"),
    ],
)
def test_constructs_outside_the_translated_set_are_refused(yql: str, construct: str) -> None:
    with pytest.raises(YqlError) as caught:
        translate(yql)
    message = str(caught.value)
    assert construct in message
    assert "not supported" in message or "dev refuses it" in message


@pytest.mark.parametrize(
    ("yql", "message"),
    [
        (
            "SELECT COUNT(*) FILTER (WHERE id > 1) FROM `//t/u`",
            "line 1: FILTER (WHERE ...) on an aggregate is not supported (column 17)",
        ),
        (
            "SELECT 1 FROM `//t/u`\nGROUP BY GROUPING SETS ((id))",
            "line 2: GROUPING SETS is not supported (column 10)",
        ),
        (
            "SELECT Frobnicate(1)",
            "line 1: function Frobnicate() is not supported by the dev YQL engine (column 8)",
        ),
        ("SELECT String::Frobnicate(1)", "String::Frobnicate is not supported"),
        ("SELECT 10q", "number literal '10q' has an unknown type suffix"),
        ("SELECT * FROM `t` FLATTEN BY x", "FLATTEN BY is not supported"),
        ("SELECT CAST(1 AS Decimal(10,2))", "CAST to Decimal(10,2) is not supported"),
        ("SELECT * FROM 'secret.csv'", "is not a table"),
        ('SELECT * FROM "secret.csv"', "is not a table"),
        ("SELECT * FROM secret", "is not a table"),
        ("SELECT * FROM read_csv('x')", "is not a table"),
        ("SELECT $nope", "$nope is used before it is defined"),
        ("INSERT INTO `//t/x` (a) SELECT 1", "INSERT INTO with a column list is not supported"),
        (
            "INSERT INTO `//t/x` WITH COMPRESSION_CODEC SELECT 1",
            "INSERT INTO ... WITH COMPRESSION_CODEC is not supported",
        ),
    ],
)
def test_refusals_name_the_construct(yql: str, message: str) -> None:
    with pytest.raises(YqlError, match=None) as caught:
        translate(yql)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("yql", "line"),
    [
        ("SELECT 1;\n\nSELECT Frobnicate(1)", 3),
        ("SELECT 1;\nSELECT\n  AsList(1)[0]", 3),
        ("SELECT 1;\n$a = 1;\nSELECT $a,\n $nope", 4),
        ("SELECT 1;\nSELECT * FROM `//t/u`\nFLATTEN BY x", 3),
        ("SELECT 1;\nSELECT CAST(1 AS Decimal(10, 2))", 2),
        ("SELECT 1;\n\nSELECT (1", 3),
    ],
)
def test_refusals_carry_the_line_of_the_construct(yql: str, line: int) -> None:
    with pytest.raises(YqlError) as caught:
        translate(yql)
    assert caught.value.line == line


def test_sqlglots_compiled_build_is_named_not_a_type_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def compiled(**_: Any) -> None:
        raise TypeError("interpreted classes cannot inherit from compiled")

    monkeypatch.setattr(to_duckdb, "YqlParser", compiled)
    with pytest.raises(YqlError, match="sqlglot build") as caught:
        AstTranslator(_view)
    assert "uninstall sqlglotc" in str(caught.value)


def test_the_benchmarks_200_line_scripts_translate() -> None:
    """Their speed is measured in ``bench/yql_translate.py``, not here."""
    for name, text in scripts().items():
        assert len(text.splitlines()) == 200, name
        assert AstTranslator(_view).script(text)
