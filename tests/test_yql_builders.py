"""YQL builders: exact text for every helper, argument errors that name the culprit, no injection.

The text is compared in full because it is the contract with two engines: the cluster runs it
unchanged and dev translates it to DuckDB, so any drift in layout or quoting matters.
"""

from __future__ import annotations

from typing import Any

import pytest

import ytflow.yql as package
from ytflow.errors import UsageError, YtflowError, YtPathError
from ytflow.yql import builders
from ytflow.yql.builders import (
    check_condition,
    distinct,
    filter_table,
    group_by_aggregate,
    join_tables,
    limit_table,
    normalize_max_row_weight,
    quote_identifier,
    quote_string,
    select_columns,
    sort_table,
    union_tables,
)

PRAGMA = 'PRAGMA yt.MaxRowWeight = "128M";\n'
IN = "//tmp/p/in"
OUT = "//tmp/p/out"


def statement_count(text: str) -> int:
    """Count ``;`` outside '...', "..." and `...` (backslash escapes), as YQL's lexer would."""
    count = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char in "'\"`":
            index += 1
            while text[index] != char:
                index += 2 if text[index] == "\\" else 1
        elif char == ";":
            count += 1
        assert text[index : index + 2] not in {"--", "/*", "@@"} or char in "'\"`"
        index += 1
    return count


def _error(error_type: type[YtflowError], builder: Any, **kwargs: Any) -> str:
    with pytest.raises(error_type) as caught:
        builder(**kwargs)
    return str(caught.value)


# --- exact text ----------------------------------------------------------------------------


def test_join_tables_exact_text() -> None:
    text = join_tables(
        left_table="//tmp/p/orders",
        right_table="//tmp/p/users",
        output_table=OUT,
        on="user_id",
        how="left",
        select_columns=["a.order_id", "b.name"],
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT a.`order_id` AS `order_id`, b.`name` AS `name`\n"
        "FROM `//tmp/p/orders` AS a\n"
        "LEFT JOIN `//tmp/p/users` AS b\n"
        "ON a.`user_id` = b.`user_id`;\n"
    )
    assert statement_count(text) == 2


@pytest.mark.parametrize(
    ("how", "keyword"),
    [("inner", "JOIN"), ("left", "LEFT JOIN"), ("right", "RIGHT JOIN"), ("full", "FULL JOIN")],
)
def test_join_how_keywords_and_select_star(how: Any, keyword: str) -> None:
    text = join_tables(
        left_table="//tmp/l", right_table="//tmp/r", output_table=OUT, on="k", how=how
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/l` AS a\n"
        f"{keyword} `//tmp/r` AS b\n"
        "ON a.`k` = b.`k`;\n"
    )


def test_join_default_how_is_inner() -> None:
    text = join_tables(left_table="//tmp/l", right_table="//tmp/r", output_table=OUT, on="k")
    assert "\nJOIN `//tmp/r` AS b\n" in text


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("id", "ON a.`id` = b.`id`"),
        (["id"], "ON a.`id` = b.`id`"),
        (["id", "day"], "ON a.`id` = b.`id` AND a.`day` = b.`day`"),
        (("id", "day"), "ON a.`id` = b.`id` AND a.`day` = b.`day`"),
        ({"left": "user_id", "right": "id"}, "ON a.`user_id` = b.`id`"),
        ({"left": ["user_id"], "right": "id"}, "ON a.`user_id` = b.`id`"),
        (
            {"left": ["user_id", "dt"], "right": ["id", "date"]},
            "ON a.`user_id` = b.`id` AND a.`dt` = b.`date`",
        ),
    ],
)
def test_join_on_forms(on: Any, expected: str) -> None:
    text = join_tables(left_table="//tmp/l", right_table="//tmp/r", output_table=OUT, on=on)
    assert text.endswith(f"\n{expected};\n")


def test_join_select_columns_dict_renames() -> None:
    text = join_tables(
        left_table="//tmp/l",
        right_table="//tmp/r",
        output_table=OUT,
        on="id",
        select_columns={"id": "a.id", "right_id": "b.id", "x.y": "b.x.y"},
    )
    assert "SELECT a.`id` AS `id`, b.`id` AS `right_id`, b.`x.y` AS `x.y`\n" in text


def test_filter_table_exact_text() -> None:
    assert filter_table(input_table=IN, output_table=OUT, condition="amount > 100") == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/p/in`\n"
        "WHERE amount > 100;\n"
    )
    text = filter_table(
        input_table=IN, output_table=OUT, condition="amount > 100", columns=["id", "amount"]
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT `id`, `amount`\n"
        "FROM `//tmp/p/in`\n"
        "WHERE amount > 100;\n"
    )


def test_select_columns_exact_text() -> None:
    assert select_columns(input_table=IN, output_table=OUT, columns=["id", "name"]) == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT `id`, `name`\n"
        "FROM `//tmp/p/in`;\n"
    )
    text = select_columns(
        input_table=IN, output_table=OUT, columns={"id": "id", "user_name": "name"}
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT `id`, `name` AS `user_name`\n"
        "FROM `//tmp/p/in`;\n"
    )


def test_group_by_aggregate_exact_text() -> None:
    text = group_by_aggregate(
        input_table=IN,
        output_table=OUT,
        group_by=["g1", "g2"],
        aggregations={
            "rows": ("count", "*"),
            "non_null": ("count", "x"),
            "total": ("sum", "x"),
            "mean": ("avg", "x"),
            "lo": ("min", "x"),
            "hi": ("max", "x"),
            "users": ("count_distinct", "user_id"),
        },
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT `g1`, `g2`, COUNT(*) AS `rows`, COUNT(`x`) AS `non_null`, SUM(`x`) AS `total`, "
        "AVG(`x`) AS `mean`, MIN(`x`) AS `lo`, MAX(`x`) AS `hi`, "
        "COUNT(DISTINCT `user_id`) AS `users`\n"
        "FROM `//tmp/p/in`\n"
        "GROUP BY `g1`, `g2`;\n"
    )


LIST_SPEC: Any = {"total": ["sum", "x"]}  # a list pair, as it arrives from YAML


def test_group_by_single_column_and_list_spec() -> None:
    text = group_by_aggregate(
        input_table=IN, output_table=OUT, group_by="g", aggregations=LIST_SPEC
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT `g`, SUM(`x`) AS `total`\n"
        "FROM `//tmp/p/in`\n"
        "GROUP BY `g`;\n"
    )


def test_union_tables_exact_text() -> None:
    text = union_tables(input_tables=["//tmp/p/a", "//tmp/p/b", "//tmp/p/c"], output_table=OUT)
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/p/a`\n"
        "UNION ALL\n"
        "SELECT *\n"
        "FROM `//tmp/p/b`\n"
        "UNION ALL\n"
        "SELECT *\n"
        "FROM `//tmp/p/c`;\n"
    )
    assert statement_count(text) == 2


def test_distinct_exact_text() -> None:
    assert distinct(input_table=IN, output_table=OUT) == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\nSELECT DISTINCT *\nFROM `//tmp/p/in`;\n"
    )
    assert distinct(input_table=IN, output_table=OUT, columns=["a", "b"]) == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT DISTINCT `a`, `b`\n"
        "FROM `//tmp/p/in`;\n"
    )


def test_sort_table_exact_text() -> None:
    assert sort_table(input_table=IN, output_table=OUT, order_by="a") == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/p/in`\n"
        "ORDER BY `a`;\n"
    )
    assert sort_table(input_table=IN, output_table=OUT, order_by=["a", "b"], descending=True) == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/p/in`\n"
        "ORDER BY `a` DESC, `b` DESC;\n"
    )


def test_limit_table_exact_text() -> None:
    assert limit_table(input_table=IN, output_table=OUT, limit=10) == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\nSELECT *\nFROM `//tmp/p/in`\nLIMIT 10;\n"
    )
    text = limit_table(
        input_table=IN, output_table=OUT, limit=0, order_by=["score", "id"], descending=True
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/p/in`\n"
        "ORDER BY `score` DESC, `id` DESC\n"
        "LIMIT 0;\n"
    )
    assert "\nORDER BY `score`\nLIMIT 5;\n" in limit_table(
        input_table=IN, output_table=OUT, limit=5, order_by="score"
    )


# --- append and max_row_weight: every builder --------------------------------------------

ALL_BUILDERS: list[tuple[Any, dict[str, Any]]] = [
    (join_tables, {"left_table": "//tmp/l", "right_table": "//tmp/r", "on": "k"}),
    (filter_table, {"input_table": IN, "condition": "x > 1"}),
    (select_columns, {"input_table": IN, "columns": ["x"]}),
    (
        group_by_aggregate,
        {"input_table": IN, "group_by": "g", "aggregations": {"n": ("count", "*")}},
    ),
    (union_tables, {"input_tables": ["//tmp/a", "//tmp/b"]}),
    (distinct, {"input_table": IN}),
    (sort_table, {"input_table": IN, "order_by": "x"}),
    (limit_table, {"input_table": IN, "limit": 3}),
]
BUILDER_IDS = [builder.__name__ for builder, _ in ALL_BUILDERS]


@pytest.mark.parametrize(("builder", "kwargs"), ALL_BUILDERS, ids=BUILDER_IDS)
def test_append_drops_with_truncate(builder: Any, kwargs: dict[str, Any]) -> None:
    truncated = builder(output_table=OUT, **kwargs)
    appended = builder(output_table=OUT, append=True, **kwargs)
    assert truncated.splitlines()[:2] == [
        'PRAGMA yt.MaxRowWeight = "128M";',
        "INSERT INTO `//tmp/p/out` WITH TRUNCATE",
    ]
    assert appended.splitlines()[1] == "INSERT INTO `//tmp/p/out`"
    assert appended == truncated.replace(" WITH TRUNCATE\n", "\n", 1)
    assert truncated.endswith(";\n")
    assert statement_count(truncated) == statement_count(appended) == 2


@pytest.mark.parametrize(("builder", "kwargs"), ALL_BUILDERS, ids=BUILDER_IDS)
def test_every_builder_takes_max_row_weight(builder: Any, kwargs: dict[str, Any]) -> None:
    text = builder(output_table=OUT, max_row_weight="16m", **kwargs)
    assert text.startswith('PRAGMA yt.MaxRowWeight = "16M";\n')
    message = _error(UsageError, builder, output_table=OUT, max_row_weight="256M", **kwargs)
    assert "max_row_weight" in message
    assert "caps yt.MaxRowWeight at 128M" in message


@pytest.mark.parametrize(("builder", "kwargs"), ALL_BUILDERS, ids=BUILDER_IDS)
def test_every_builder_validates_output_and_append(builder: Any, kwargs: dict[str, Any]) -> None:
    message = _error(YtPathError, builder, output_table="tmp/out", **kwargs)
    assert "output_table" in message
    assert "'tmp/out'" in message
    message = _error(UsageError, builder, output_table=OUT, append="yes", **kwargs)
    assert "append" in message
    assert "'yes'" in message


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("128M", "128M"),
        ("64M", "64M"),
        ("16m", "16M"),
        (" 32M ", "32M"),
        ("1024K", "1M"),
        ("512k", "524288"),
        ("1000", "1000"),
        (16 * 1024 * 1024, "16M"),
        (1000, "1000"),
        (128 * 1024 * 1024, "128M"),
        ("0G", None),
        ("1G", None),
        ("1g", None),
        ("129M", None),
        (128 * 1024 * 1024 + 1, None),
    ],
)
def test_max_row_weight_forms_and_cap(value: str | int, rendered: str | None) -> None:
    if rendered is not None:
        assert normalize_max_row_weight(value) == rendered
        text = distinct(input_table=IN, output_table=OUT, max_row_weight=value)
        assert text.startswith(f"PRAGMA yt.MaxRowWeight = {quote_string(rendered)};\n")
        return
    with pytest.raises(UsageError) as caught:
        normalize_max_row_weight(value)
    assert repr(value) in str(caught.value)


def test_max_row_weight_one_gibibyte_is_over_the_cap() -> None:
    with pytest.raises(UsageError, match=r"caps yt\.MaxRowWeight at 128M"):
        normalize_max_row_weight("1G")


@pytest.mark.parametrize(
    "value", ["", "M", "16MB", "1.5M", "-1M", "16 M", "1T", 0, -5, True, 1.0, None, b"16M"]
)
def test_max_row_weight_malformed(value: Any) -> None:
    message = _error(UsageError, distinct, input_table=IN, output_table=OUT, max_row_weight=value)
    assert "max_row_weight" in message
    assert repr(value) in message


# --- bad arguments name themselves --------------------------------------------------------

JOIN: dict[str, Any] = {
    "left_table": "//tmp/l",
    "right_table": "//tmp/r",
    "output_table": OUT,
    "on": "k",
}


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"how": "outer"}, ["how", "'outer'"]),
        ({"how": "LEFT"}, ["how", "'LEFT'"]),
        ({"how": None}, ["how", "None"]),
        ({"on": ""}, ["on", "''"]),
        ({"on": []}, ["on", "empty"]),
        ({"on": 5}, ["on", "5"]),
        ({"on": ["id", 7]}, ["on[1]", "7"]),
        ({"on": ["id", "id"]}, ["on", "'id' twice"]),
        ({"on": {"left": "x"}}, ["on", "'left' and 'right'", "['left']"]),
        ({"on": {"left": "x", "right": "y", "extra": "z"}}, ["on", "'extra'"]),
        ({"on": {"left": ["x", "y"], "right": ["z"]}}, ["on", "2 left", "1 right"]),
        ({"on": {"left": [], "right": []}}, ["on['left']", "empty"]),
        ({"on": {"left": "x", "right": 3}}, ["on['right']", "3"]),
        ({"select_columns": []}, ["select_columns", "empty"]),
        ({"select_columns": "a.x"}, ["select_columns", "'a.x'"]),
        ({"select_columns": ["order_id"]}, ["select_columns", "'order_id'", "ambiguous"]),
        ({"select_columns": ["c.order_id"]}, ["select_columns", "'c.order_id'", "'c'"]),
        ({"select_columns": ["A.order_id"]}, ["select_columns", "'A.order_id'"]),
        ({"select_columns": ["a."]}, ["select_columns", "'a.'"]),
        ({"select_columns": [3]}, ["select_columns", "3"]),
        ({"select_columns": ["a.id", "b.id"]}, ["select_columns", "'id' twice"]),
        ({"select_columns": {}}, ["select_columns", "{}"]),
        ({"select_columns": {"": "a.x"}}, ["select_columns key", "''"]),
        ({"select_columns": {"x": "x"}}, ["select_columns", "'x'", "ambiguous"]),
    ],
)
def test_join_bad_arguments(changes: dict[str, Any], named: list[str]) -> None:
    message = _error(UsageError, join_tables, **{**JOIN, **changes})
    assert message.startswith("join_tables: ")
    for fragment in named:
        assert fragment in message


@pytest.mark.parametrize("argument", ["left_table", "right_table", "output_table"])
def test_join_bad_table_paths(argument: str) -> None:
    message = _error(YtPathError, join_tables, **{**JOIN, argument: "//tmp/x[1]"})
    assert f"join_tables: {argument}" in message
    assert "'//tmp/x[1]'" in message


def test_join_select_item_errors_carry_hints() -> None:
    with pytest.raises(UsageError) as caught:
        join_tables(**JOIN, select_columns=["order_id"])
    assert caught.value.hint == "write 'a.order_id' (left table) or 'b.order_id' (right table)"


@pytest.mark.parametrize(
    ("builder", "kwargs", "named"),
    [
        (filter_table, {"input_table": IN, "condition": ""}, ["condition", "''"]),
        (filter_table, {"input_table": IN, "condition": "   "}, ["condition", "'   '"]),
        (filter_table, {"input_table": IN, "condition": None}, ["condition", "None"]),
        (filter_table, {"input_table": IN, "condition": "x", "columns": []}, ["columns", "empty"]),
        (filter_table, {"input_table": IN, "condition": "x", "columns": "id"}, ["columns", "'id'"]),
        (filter_table, {"input_table": 5, "condition": "x"}, ["input_table", "int"]),
        (select_columns, {"input_table": IN, "columns": []}, ["columns", "empty"]),
        (select_columns, {"input_table": IN, "columns": {}}, ["columns", "{}"]),
        (select_columns, {"input_table": IN, "columns": None}, ["columns", "None"]),
        (select_columns, {"input_table": IN, "columns": ["a", 1]}, ["columns[1]", "1"]),
        (select_columns, {"input_table": IN, "columns": ["a", ""]}, ["columns[1]", "''"]),
        (select_columns, {"input_table": IN, "columns": ["a", "a"]}, ["columns", "'a' twice"]),
        (select_columns, {"input_table": IN, "columns": {"x": 2}}, ["columns['x']", "2"]),
        (select_columns, {"input_table": IN, "columns": {3: "x"}}, ["columns key", "3"]),
        (select_columns, {"input_table": "//tmp/", "columns": ["a"]}, ["input_table", "'//tmp/'"]),
        (distinct, {"input_table": IN, "columns": []}, ["columns", "empty"]),
        (distinct, {"input_table": IN, "columns": [None]}, ["columns[0]", "None"]),
        (sort_table, {"input_table": IN, "order_by": []}, ["order_by", "empty"]),
        (sort_table, {"input_table": IN, "order_by": ""}, ["order_by", "''"]),
        (sort_table, {"input_table": IN, "order_by": None}, ["order_by", "None"]),
        (sort_table, {"input_table": IN, "order_by": "a", "descending": 1}, ["descending", "1"]),
        (limit_table, {"input_table": IN, "limit": -1}, ["limit", "-1"]),
        (limit_table, {"input_table": IN, "limit": True}, ["limit", "True"]),
        (limit_table, {"input_table": IN, "limit": 1.5}, ["limit", "1.5"]),
        (limit_table, {"input_table": IN, "limit": "10"}, ["limit", "'10'"]),
        (limit_table, {"input_table": IN, "limit": 1, "order_by": []}, ["order_by", "empty"]),
        (limit_table, {"input_table": IN, "limit": 1, "descending": True}, ["descending"]),
        (limit_table, {"input_table": IN, "limit": 1, "descending": "no"}, ["descending", "'no'"]),
        (union_tables, {"input_tables": ["//tmp/a"]}, ["input_tables", "at least two"]),
        (union_tables, {"input_tables": []}, ["input_tables", "at least two"]),
        (union_tables, {"input_tables": "//tmp/a"}, ["input_tables", "'//tmp/a'"]),
        (union_tables, {"input_tables": ["//tmp/a", "tmp/b"]}, ["input_tables[1]", "'tmp/b'"]),
    ],
)
def test_bad_arguments_are_named(builder: Any, kwargs: dict[str, Any], named: list[str]) -> None:
    with pytest.raises((UsageError, YtPathError)) as caught:
        builder(output_table=OUT, **kwargs)
    message = str(caught.value)
    assert message.startswith(f"{builder.__name__}: ")
    for fragment in named:
        assert fragment in message


GROUP = {
    "input_table": IN,
    "output_table": OUT,
    "group_by": "g",
    "aggregations": {"n": ("count", "*")},
}


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"group_by": []}, ["group_by", "empty"]),
        ({"group_by": ["g", 1]}, ["group_by[1]", "1"]),
        ({"group_by": ["g", "g"]}, ["group_by", "'g' twice"]),
        ({"aggregations": {}}, ["aggregations", "{}"]),
        ({"aggregations": None}, ["aggregations", "None"]),
        ({"aggregations": [("sum", "x")]}, ["aggregations", "[('sum', 'x')]"]),
        ({"aggregations": {"t": ("median", "x")}}, ["aggregations['t']", "'median'"]),
        ({"aggregations": {"t": ("SUM", "x")}}, ["aggregations['t']", "'SUM'"]),
        ({"aggregations": {"t": ("sum", "*")}}, ["aggregations['t']", "only count", "'sum'"]),
        ({"aggregations": {"t": ("sum",)}}, ["aggregations['t']", "('sum',)"]),
        ({"aggregations": {"t": "sum(x)"}}, ["aggregations['t']", "'sum(x)'"]),
        ({"aggregations": {"t": ("sum", "")}}, ["aggregations['t'] column", "''"]),
        ({"aggregations": {"t": ("sum", 4)}}, ["aggregations['t'] column", "4"]),
        ({"aggregations": {"": ("sum", "x")}}, ["aggregations key", "''"]),
        ({"aggregations": {"g": ("count", "*")}}, ["aggregations", "'g'", "group_by"]),
    ],
)
def test_group_by_bad_arguments(changes: dict[str, Any], named: list[str]) -> None:
    message = _error(UsageError, group_by_aggregate, **{**GROUP, **changes})
    assert message.startswith("group_by_aggregate: ")
    for fragment in named:
        assert fragment in message


# --- injection ----------------------------------------------------------------------------

NASTY = ["x` ; DROP", 'a"b', "semi;colon", "new\nline", "back\\slash`", "it's", "--c", "/*"]


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("x` ; DROP", "`x\\` ; DROP`"),
        ('a"b', '`a"b`'),
        ("semi;colon", "`semi;colon`"),
        ("new\nline", "`new\nline`"),
        ("back\\slash`", "`back\\\\slash\\``"),
        ("`", "`\\``"),
        ("\\", "`\\\\`"),
    ],
)
def test_quote_identifier(name: str, quoted: str) -> None:
    assert quote_identifier(name) == quoted


def test_quote_string() -> None:
    assert quote_string('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'


def test_injection_in_select_columns_is_escaped() -> None:
    text = select_columns(input_table=IN, output_table=OUT, columns=NASTY)
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        "SELECT `x\\` ; DROP`, `a\"b`, `semi;colon`, `new\nline`, `back\\\\slash\\``, `it's`, "
        "`--c`, `/*`\n"
        "FROM `//tmp/p/in`;\n"
    )
    assert statement_count(text) == 2


def test_injection_in_select_rename_is_escaped() -> None:
    text = select_columns(input_table=IN, output_table=OUT, columns={"ok`; DROP": "a;b"})
    assert "SELECT `a;b` AS `ok\\`; DROP`\n" in text
    assert statement_count(text) == 2


def test_injection_in_join_is_escaped() -> None:
    text = join_tables(
        left_table="//tmp/l",
        right_table="//tmp/r",
        output_table=OUT,
        on={"left": "x` ; DROP", "right": ["semi;colon"]},
        how="full",
        select_columns=["a.x` ; DROP", 'b.a"b', "b.new\nline"],
    )
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        'SELECT a.`x\\` ; DROP` AS `x\\` ; DROP`, b.`a"b` AS `a"b`, '
        "b.`new\nline` AS `new\nline`\n"
        "FROM `//tmp/l` AS a\n"
        "FULL JOIN `//tmp/r` AS b\n"
        "ON a.`x\\` ; DROP` = b.`semi;colon`;\n"
    )
    assert statement_count(text) == 2


def test_injection_in_group_by_sort_distinct_limit_is_escaped() -> None:
    grouped = group_by_aggregate(
        input_table=IN,
        output_table=OUT,
        group_by="x` ; DROP",
        aggregations={"semi;colon": ("count_distinct", 'a"b'), "t`": ("sum", "new\nline")},
    )
    assert grouped == (
        PRAGMA + "INSERT INTO `//tmp/p/out` WITH TRUNCATE\n"
        'SELECT `x\\` ; DROP`, COUNT(DISTINCT `a"b`) AS `semi;colon`, '
        "SUM(`new\nline`) AS `t\\``\n"
        "FROM `//tmp/p/in`\n"
        "GROUP BY `x\\` ; DROP`;\n"
    )
    ordered = sort_table(input_table=IN, output_table=OUT, order_by=NASTY)
    assert '\nORDER BY `x\\` ; DROP`, `a"b`, `semi;colon`, `new\nline`,' in ordered
    limited = limit_table(input_table=IN, output_table=OUT, limit=1, order_by="x`;")
    assert "\nORDER BY `x\\`;`\nLIMIT 1;\n" in limited
    unique = distinct(input_table=IN, output_table=OUT, columns=NASTY)
    filtered = filter_table(input_table=IN, output_table=OUT, condition="1 = 1", columns=NASTY)
    for text in (grouped, ordered, limited, unique, filtered):
        assert statement_count(text) == 2


def test_injection_in_table_path_is_escaped() -> None:
    text = union_tables(input_tables=["//tmp/a`; DROP", "//tmp/b;c"], output_table="//tmp/o`")
    assert text == (
        PRAGMA + "INSERT INTO `//tmp/o\\`` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/a\\`; DROP`\n"
        "UNION ALL\n"
        "SELECT *\n"
        "FROM `//tmp/b;c`;\n"
    )
    assert statement_count(text) == 2


# --- condition -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "name = 'a;b'",
        'name = "a;b"',
        "name = 'it\\'s; fine'",
        'name = "say \\"hi\\"; ok"',
        "`semi;colon` > 1",
        "`x\\`;` = 1",
        "a > 1\nAND b < 2",
        "name = '--not a comment' OR x = \"/* nor this */\"",
        "x = '@@'",
        "a - 1 > 0",
        'String::Contains(name, "x")',
    ],
)
def test_condition_accepted(condition: str) -> None:
    assert check_condition(condition) == condition
    text = filter_table(input_table=IN, output_table=OUT, condition=condition)
    assert text.endswith(f"\nWHERE {condition};\n")
    assert statement_count(text) == 2


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("x > 1; DROP TABLE `//tmp/p/in`", "';'"),
        ("x > 1;", "';'"),
        ("name = 'a'; SELECT 'b'", "';'"),
        ("x = 'unterminated", "unterminated ' quote"),
        ('x = "a\\"', 'unterminated " quote'),
        ("`col", "unterminated ` quote"),
        ("x > 1 -- '\n; DROP --'", "comment"),
        ("x > 1 /* ; */", "comment"),
        ("x = @@'@@; SELECT '", "@@"),
    ],
)
def test_condition_rejected(condition: str, reason: str) -> None:
    message = _error(
        UsageError, filter_table, input_table=IN, output_table=OUT, condition=condition
    )
    assert message.startswith("filter_table: condition ")
    assert repr(condition) in message
    assert reason in message


def test_public_names_are_reexported() -> None:
    for name in builders.__all__:
        assert getattr(package, name) is getattr(builders, name)
