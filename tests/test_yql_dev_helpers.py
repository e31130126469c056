"""The dev YQL engine's table helpers through ``DevClient``: the exact text each helper's
dry_run returns (and docs/yql.md shows), and what each helper writes.

Scripts, types and errors live in test_yql_dev_statements.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from yql_helpers import ORDERS, ROOT, USERS, multiset, rows_of, seeded_client

from ytflow.dev.client import DevClient
from ytflow.yql import builders

DOC = ROOT / "docs" / "yql.md"


@pytest.fixture
def yt(tmp_path: Path) -> DevClient:
    return seeded_client(tmp_path)


# --- helpers -------------------------------------------------------------------------------

# One example per helper: the keyword arguments and the exact text dry_run returns.
# docs/yql.md shows the same calls and texts (checked below).
SHOP = "//tmp/shop"
HELPER_EXAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "join_tables": (
        {
            "left_table": f"{SHOP}/orders",
            "right_table": f"{SHOP}/users",
            "output_table": f"{SHOP}/orders_named",
            "on": "user_id",
            "how": "left",
            "select_columns": ["a.order_id", "a.amount", "b.name"],
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/orders_named` WITH TRUNCATE\n"
        "SELECT a.`order_id` AS `order_id`, a.`amount` AS `amount`, b.`name` AS `name`\n"
        "FROM `//tmp/shop/orders` AS a\n"
        "LEFT JOIN `//tmp/shop/users` AS b\n"
        "ON a.`user_id` = b.`user_id`;\n",
    ),
    "filter_table": (
        {
            "input_table": f"{SHOP}/orders",
            "output_table": f"{SHOP}/big_orders",
            "condition": "amount >= 10",
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/big_orders` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/shop/orders`\n"
        "WHERE amount >= 10;\n",
    ),
    "select_columns": (
        {
            "input_table": f"{SHOP}/users",
            "output_table": f"{SHOP}/user_names",
            "columns": {"user": "name", "user_id": "user_id"},
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/user_names` WITH TRUNCATE\n"
        "SELECT `name` AS `user`, `user_id`\n"
        "FROM `//tmp/shop/users`;\n",
    ),
    "group_by_aggregate": (
        {
            "input_table": f"{SHOP}/orders",
            "output_table": f"{SHOP}/user_totals",
            "group_by": "user_id",
            "aggregations": {"orders": ("count", "*"), "total": ("sum", "amount")},
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/user_totals` WITH TRUNCATE\n"
        "SELECT `user_id`, COUNT(*) AS `orders`, SUM(`amount`) AS `total`\n"
        "FROM `//tmp/shop/orders`\n"
        "GROUP BY `user_id`;\n",
    ),
    "union_tables": (
        {
            "input_tables": [f"{SHOP}/orders", f"{SHOP}/late_orders"],
            "output_table": f"{SHOP}/all_orders",
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/all_orders` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/shop/orders`\n"
        "UNION ALL\n"
        "SELECT *\n"
        "FROM `//tmp/shop/late_orders`;\n",
    ),
    "distinct": (
        {
            "input_table": f"{SHOP}/users",
            "output_table": f"{SHOP}/countries",
            "columns": ["country"],
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/countries` WITH TRUNCATE\n"
        "SELECT DISTINCT `country`\n"
        "FROM `//tmp/shop/users`;\n",
    ),
    "sort_table": (
        {
            "input_table": f"{SHOP}/orders",
            "output_table": f"{SHOP}/orders_by_amount",
            "order_by": "amount",
            "descending": True,
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/orders_by_amount` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/shop/orders`\n"
        "ORDER BY `amount` DESC;\n",
    ),
    "limit_table": (
        {
            "input_table": f"{SHOP}/orders",
            "output_table": f"{SHOP}/top_orders",
            "limit": 2,
            "order_by": "amount",
            "descending": True,
        },
        'PRAGMA yt.MaxRowWeight = "128M";\n'
        "INSERT INTO `//tmp/shop/top_orders` WITH TRUNCATE\n"
        "SELECT *\n"
        "FROM `//tmp/shop/orders`\n"
        "ORDER BY `amount` DESC\n"
        "LIMIT 2;\n",
    ),
}


@pytest.mark.parametrize("helper", sorted(HELPER_EXAMPLES))
def test_helper_dry_run_returns_the_text_and_runs_nothing(helper: str, yt: DevClient) -> None:
    kwargs, text = HELPER_EXAMPLES[helper]
    assert getattr(yt, helper)(**kwargs, dry_run=True) == text
    assert getattr(builders, helper)(**kwargs) == text
    assert not yt.exists(kwargs["output_table"])


@pytest.mark.parametrize("helper", sorted(HELPER_EXAMPLES))
def test_helper_example_is_in_the_doc(helper: str) -> None:
    kwargs, text = HELPER_EXAMPLES[helper]
    doc = DOC.read_text(encoding="utf-8")
    assert f"```yql\n{text}```" in doc, f"docs/yql.md lacks the dry_run text of {helper}"
    assert f"yt.{helper}(" in doc
    for value in kwargs.values():
        shown = value if isinstance(value, str) else json.dumps(value)
        if isinstance(value, str):
            assert f'"{shown}"' in doc, (helper, shown)


def test_every_client_helper_has_an_example() -> None:
    helpers = {
        name
        for name in dir(DevClient)
        if not name.startswith("_") and name in dir(builders) and callable(getattr(builders, name))
    }
    assert helpers == set(HELPER_EXAMPLES)


def test_join_tables_left(yt: DevClient) -> None:
    count = yt.join_tables(
        left_table="//p/orders",
        right_table="//p/users",
        output_table="//p/joined",
        on="user_id",
        how="left",
        select_columns=["a.order_id", "b.name"],
    )
    assert count == 4
    assert multiset(rows_of(yt, "//p/joined")) == multiset(
        [
            {"order_id": 10, "name": "Alice"},
            {"order_id": 11, "name": "Alice"},
            {"order_id": 12, "name": "Bob"},
            {"order_id": 13, "name": None},
        ]
    )


def test_join_tables_inner_with_renames_and_a_key_mapping(yt: DevClient) -> None:
    yt.write_table("//p/people", [{"id": 1, "name": "Alice"}, {"id": 2, "name": "Bob"}])
    count = yt.join_tables(
        left_table="//p/orders",
        right_table="//p/people",
        output_table="//p/joined",
        on={"left": "user_id", "right": "id"},
        select_columns={"order": "a.order_id", "who": "b.name"},
    )
    assert count == 3
    assert multiset(rows_of(yt, "//p/joined")) == multiset(
        [
            {"order": 10, "who": "Alice"},
            {"order": 11, "who": "Alice"},
            {"order": 12, "who": "Bob"},
        ]
    )


def test_join_tables_full(yt: DevClient) -> None:
    yt.join_tables(
        left_table="//p/orders",
        right_table="//p/users",
        output_table="//p/joined",
        on="user_id",
        how="full",
        select_columns={"order_id": "a.order_id", "name": "b.name"},
    )
    assert multiset(rows_of(yt, "//p/joined")) == multiset(
        [
            {"order_id": 10, "name": "Alice"},
            {"order_id": 11, "name": "Alice"},
            {"order_id": 12, "name": "Bob"},
            {"order_id": 13, "name": None},
            {"order_id": None, "name": "Carol"},
            {"order_id": None, "name": "Dave"},
        ]
    )


def test_filter_table_keeps_order_and_can_append(yt: DevClient) -> None:
    count = yt.filter_table(
        input_table="//p/orders",
        output_table="//p/big",
        condition='amount >= 7 AND String::StartsWith(CAST(order_id AS String), "1")',
        columns=["order_id"],
    )
    assert count == 2
    assert rows_of(yt, "//p/big") == [{"order_id": 11}, {"order_id": 12}]
    count = yt.filter_table(
        input_table="//p/orders",
        output_table="//p/big",
        condition="amount < 2",
        columns=["order_id"],
        append=True,
    )
    assert count == 3
    assert rows_of(yt, "//p/big") == [{"order_id": 11}, {"order_id": 12}, {"order_id": 13}]


def test_select_columns_keeps_and_renames(yt: DevClient) -> None:
    assert yt.select_columns(input_table="//p/users", output_table="//p/a", columns=["name"]) == 4
    assert rows_of(yt, "//p/a") == [{"name": user["name"]} for user in USERS]
    yt.select_columns(
        input_table="//p/users", output_table="//p/b", columns={"who": "name", "user_id": "user_id"}
    )
    assert rows_of(yt, "//p/b") == [
        {"who": user["name"], "user_id": user["user_id"]} for user in USERS
    ]


def test_group_by_aggregate_every_function(yt: DevClient) -> None:
    count = yt.group_by_aggregate(
        input_table="//p/orders",
        output_table="//p/totals",
        group_by="user_id",
        aggregations={
            "n": ("count", "*"),
            "total": ("sum", "amount"),
            "mean": ("avg", "amount"),
            "low": ("min", "amount"),
            "high": ("max", "amount"),
            "kinds": ("count_distinct", "amount"),
        },
    )
    assert count == 3
    assert multiset(rows_of(yt, "//p/totals")) == multiset(
        [
            {"user_id": 1, "n": 2, "total": 15, "mean": 7.5, "low": 5, "high": 10, "kinds": 2},
            {"user_id": 2, "n": 1, "total": 7, "mean": 7.0, "low": 7, "high": 7, "kinds": 1},
            {"user_id": 9, "n": 1, "total": 1, "mean": 1.0, "low": 1, "high": 1, "kinds": 1},
        ]
    )


def test_union_tables_matches_columns_by_name(yt: DevClient) -> None:
    # The same columns in another order: a positional UNION ALL would put amounts in order_id.
    yt.write_table("//p/late", [{"amount": 3, "user_id": 2, "order_id": 14}])
    count = yt.union_tables(input_tables=["//p/orders", "//p/late"], output_table="//p/all")
    assert count == 5
    assert multiset(rows_of(yt, "//p/all")) == multiset(
        [*ORDERS, {"order_id": 14, "user_id": 2, "amount": 3}]
    )


def test_union_tables_fills_a_missing_column_with_null(yt: DevClient) -> None:
    yt.write_table("//p/late", [{"order_id": 14, "user_id": 2, "amount": 3, "note": "late"}])
    yt.union_tables(input_tables=["//p/orders", "//p/late", "//p/late"], output_table="//p/all")
    assert multiset(rows_of(yt, "//p/all")) == multiset(
        [{**order, "note": None} for order in ORDERS]
        + [{"order_id": 14, "user_id": 2, "amount": 3, "note": "late"}] * 2
    )


def test_distinct_of_columns_and_of_whole_rows(yt: DevClient) -> None:
    assert yt.distinct(input_table="//p/users", output_table="//p/c", columns=["country"]) == 3
    assert multiset(rows_of(yt, "//p/c")) == multiset(
        [{"country": "NL"}, {"country": "DE"}, {"country": None}]
    )
    yt.write_table("//p/dups", [{"a": 1, "b": "x"}, {"a": 1, "b": "x"}, {"a": 1, "b": "y"}])
    assert yt.distinct(input_table="//p/dups", output_table="//p/d") == 2
    assert multiset(rows_of(yt, "//p/d")) == multiset([{"a": 1, "b": "x"}, {"a": 1, "b": "y"}])


def test_sort_table_puts_null_first_ascending_and_last_descending(yt: DevClient) -> None:
    assert (
        yt.sort_table(input_table="//p/users", output_table="//p/s", order_by=["country", "name"])
        == 4
    )
    assert [row["name"] for row in rows_of(yt, "//p/s")] == ["Dave", "Bob", "Alice", "Carol"]
    yt.sort_table(
        input_table="//p/users",
        output_table="//p/s",
        order_by=["country", "name"],
        descending=True,
    )
    assert [row["name"] for row in rows_of(yt, "//p/s")] == ["Carol", "Alice", "Bob", "Dave"]


def test_limit_table_with_and_without_order(yt: DevClient) -> None:
    count = yt.limit_table(
        input_table="//p/orders",
        output_table="//p/top",
        limit=2,
        order_by="amount",
        descending=True,
    )
    assert count == 2
    assert rows_of(yt, "//p/top") == [ORDERS[1], ORDERS[2]]
    assert yt.limit_table(input_table="//p/orders", output_table="//p/any", limit=1) == 1
    assert rows_of(yt, "//p/any")[0] in ORDERS
    assert yt.limit_table(input_table="//p/orders", output_table="//p/none", limit=0) == 0
