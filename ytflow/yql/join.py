"""``join_tables``: the builder with the richest arguments, kept apart from the simple ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from ytflow.yql.arguments import (
    DEFAULT_MAX_ROW_WEIGHT,
    as_mapping,
    as_sequence,
    column_name,
    column_names,
    fail,
    lookup_option,
    no_duplicates,
    quote_identifier,
    script,
    table_argument,
)

JoinHow = Literal["inner", "left", "right", "full"]
JoinOn = str | Sequence[str] | Mapping[str, str | Sequence[str]]

_JOIN_KEYWORDS: dict[str, str] = {
    "inner": "JOIN",
    "left": "LEFT JOIN",
    "right": "RIGHT JOIN",
    "full": "FULL JOIN",
}
_JOIN_ALIASES = frozenset({"a", "b"})  # a = left table, b = right table


def join_tables(
    *,
    left_table: str,
    right_table: str,
    output_table: str,
    on: JoinOn,
    how: JoinHow = "inner",
    select_columns: Sequence[str] | Mapping[str, str] | None = None,
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Join two tables (left aliased ``a``, right ``b``) into ``output_table``.

    ``on``: a column name, a list of names (equal on both sides), or
    ``{"left": ..., "right": ...}`` with a name or equal-length lists on each side.
    ``select_columns``: qualified names such as ``["a.order_id", "b.name"]`` (each written as
    ``a.`order_id` AS `order_id```) or ``{output_name: "b.id"}`` to rename. ``None`` writes
    ``SELECT *``, which YQL rejects when the tables share a column name outside the keys, so
    list the columns whenever the schemas overlap.
    """
    builder = "join_tables"
    left = table_argument(builder, "left_table", left_table)
    right = table_argument(builder, "right_table", right_table)
    keyword = lookup_option(_JOIN_KEYWORDS, how)
    if keyword is None:
        raise fail(builder, "how", f"must be one of {', '.join(_JOIN_KEYWORDS)}, got {how!r}")
    pairs = _join_keys(builder, on)
    condition = " AND ".join(
        f"a.{quote_identifier(left_key)} = b.{quote_identifier(right_key)}"
        for left_key, right_key in pairs
    )
    lines = [
        "SELECT " + _join_projection(builder, select_columns),
        f"FROM {left} AS a",
        f"{keyword} {right} AS b",
        f"ON {condition}",
    ]
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def _join_keys(builder: str, on: object) -> list[tuple[str, str]]:
    """``on`` in any of its three forms -> (left column, right column) pairs."""
    sides = as_mapping(on)
    if sides is not None:
        if set(sides) != {"left", "right"}:
            raise fail(
                builder,
                "on",
                f"as a dict must have exactly the keys 'left' and 'right', got {list(sides)!r}",
            )
        left = column_names(builder, "on['left']", sides["left"], single=True)
        right = column_names(builder, "on['right']", sides["right"], single=True)
        if len(left) != len(right):
            raise fail(
                builder,
                "on",
                f"lists {len(left)} left column(s) but {len(right)} right column(s): {on!r}",
                hint="pair each left key with one right key",
            )
        return list(zip(left, right, strict=True))
    if not isinstance(on, str) and as_sequence(on) is None:
        raise fail(
            builder,
            "on",
            f"must be a column name, a list of names or {{'left': ..., 'right': ...}}, got {on!r}",
        )
    return [(name, name) for name in column_names(builder, "on", on, single=True)]


def _join_projection(builder: str, select: object) -> str:
    if select is None:
        return "*"
    renames = as_mapping(select)
    if renames is not None:
        if not renames:
            raise fail(builder, "select_columns", "must name at least one column, got {}")
        items = [
            (column_name(builder, "select_columns key", output), source)
            for output, source in renames.items()
        ]
    else:
        entries = _list_of_objects(builder, "select_columns", select)
        items = [(None, source) for source in entries]
    rendered: list[str] = []
    outputs: list[str] = []
    for output, source in items:
        alias, column = _qualified(builder, source)
        name = column if output is None else output
        outputs.append(name)
        rendered.append(f"{alias}.{quote_identifier(column)} AS {quote_identifier(name)}")
    no_duplicates(
        builder,
        "select_columns",
        outputs,
        hint="rename one of them with a dict such as {'right_id': 'b.id'}",
    )
    return ", ".join(rendered)


def _list_of_objects(builder: str, argument: str, value: object) -> Sequence[object]:
    items = as_sequence(value)
    if items is None:
        raise fail(builder, argument, f"must be a list of column names, got {value!r}")
    if not items:
        raise fail(builder, argument, "must name at least one column, got an empty list")
    return items


def _qualified(builder: str, item: object) -> tuple[str, str]:
    """``"a.order_id"`` -> ``("a", "order_id")``; the alias says which table, so it is required."""
    if not isinstance(item, str) or not item:
        raise fail(builder, "select_columns", f"items must be strings such as 'a.id', got {item!r}")
    alias, dot, column = item.partition(".")
    if not dot:
        raise fail(
            builder,
            "select_columns",
            f"item {item!r} has no table prefix, so it is ambiguous",
            hint=f"write 'a.{item}' (left table) or 'b.{item}' (right table)",
        )
    if alias not in _JOIN_ALIASES:
        raise fail(
            builder,
            "select_columns",
            f"item {item!r} has prefix {alias!r}; use 'a' (left table) or 'b' (right table)",
        )
    if not column:
        raise fail(builder, "select_columns", f"item {item!r} has no column name after '.'")
    return alias, column
