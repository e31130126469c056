"""YQL text for the client's table helpers (join, filter, group-by, ...).

Each builder is a pure function that returns one YQL script: a ``PRAGMA yt.MaxRowWeight`` line
and one ``INSERT INTO ... SELECT ...`` statement. Prod sends the text to the cluster unchanged;
dev translates the same text to DuckDB, so both modes run one query. Every name the caller
passes (tables, columns) is quoted here, so a column name can never add SQL of its own; the only
raw SQL a builder accepts is ``filter_table``'s ``condition``, which is the pipeline author's own
expression and is checked to hold exactly one expression (no ``;``, no comments).

The script always looks like this (keywords uppercase, one clause per line, ``;`` and newline
at the end)::

    PRAGMA yt.MaxRowWeight = "128M";
    INSERT INTO `//tmp/p/out` WITH TRUNCATE
    SELECT *
    FROM `//tmp/p/in`
    WHERE amount > 100;
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from ytflow.yql.arguments import (
    DEFAULT_MAX_ROW_WEIGHT,
    MAX_ROW_WEIGHT_LIMIT,
    as_mapping,
    as_sequence,
    check_condition,
    column_name,
    column_names,
    fail,
    flag_argument,
    normalize_max_row_weight,
    quote_identifier,
    quote_string,
    script,
    table_argument,
)
from ytflow.yql.join import JoinHow, JoinOn, join_tables

__all__ = [
    "DEFAULT_MAX_ROW_WEIGHT",
    "MAX_ROW_WEIGHT_LIMIT",
    "AggregateFunction",
    "JoinHow",
    "JoinOn",
    "check_condition",
    "distinct",
    "filter_table",
    "group_by_aggregate",
    "join_tables",
    "limit_table",
    "normalize_max_row_weight",
    "quote_identifier",
    "quote_string",
    "select_columns",
    "sort_table",
    "union_tables",
]


AggregateFunction = Literal["count", "sum", "avg", "min", "max", "count_distinct"]

_AGGREGATES: dict[str, str] = {
    "count": "COUNT",
    "sum": "SUM",
    "avg": "AVG",
    "min": "MIN",
    "max": "MAX",
    "count_distinct": "COUNT",
}


# --- script assembly -----------------------------------------------------------------------


def _projection(builder: str, columns: object) -> str:
    """``*`` for None, else the quoted column list."""
    if columns is None:
        return "*"
    return ", ".join(quote_identifier(name) for name in column_names(builder, "columns", columns))


def _order_by(builder: str, order_by: object, descending: object) -> str:
    suffix = " DESC" if flag_argument(builder, "descending", descending) else ""
    names = column_names(builder, "order_by", order_by, single=True)
    return "ORDER BY " + ", ".join(quote_identifier(name) + suffix for name in names)


# --- builders ------------------------------------------------------------------------------


def filter_table(
    *,
    input_table: str,
    output_table: str,
    condition: str,
    columns: Sequence[str] | None = None,
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Keep the rows where ``condition`` holds.

    ``condition`` is raw YQL written by the pipeline author (``"amount > 100"``) and is put in
    the WHERE clause as is; it must be one expression (see ``check_condition``).
    """
    builder = "filter_table"
    source = table_argument(builder, "input_table", input_table)
    where = check_condition(condition, builder=builder)
    lines = [f"SELECT {_projection(builder, columns)}", f"FROM {source}", f"WHERE {where}"]
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def select_columns(
    *,
    input_table: str,
    output_table: str,
    columns: Sequence[str] | Mapping[str, str],
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Keep only ``columns``: a list of names, or ``{output_name: input_name}`` to rename."""
    builder = "select_columns"
    source = table_argument(builder, "input_table", input_table)
    renames = as_mapping(columns)
    if renames is not None:
        if not renames:
            raise fail(builder, "columns", "must name at least one column, got {}")
        parts: list[str] = []
        for output, name in renames.items():
            output_name = column_name(builder, "columns key", output)
            input_name = column_name(builder, f"columns[{output_name!r}]", name)
            part = quote_identifier(input_name)
            if output_name != input_name:
                part += f" AS {quote_identifier(output_name)}"
            parts.append(part)
        projection = ", ".join(parts)
    else:
        names = column_names(builder, "columns", columns)
        projection = ", ".join(quote_identifier(name) for name in names)
    lines = [f"SELECT {projection}", f"FROM {source}"]
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def group_by_aggregate(
    *,
    input_table: str,
    output_table: str,
    group_by: str | Sequence[str],
    aggregations: Mapping[str, tuple[AggregateFunction, str]],
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Group by ``group_by`` and compute ``{output_name: (function, column)}`` per group.

    Functions: count, sum, avg, min, max, count_distinct; ``("count", "*")`` counts rows.
    """
    builder = "group_by_aggregate"
    source = table_argument(builder, "input_table", input_table)
    keys = column_names(builder, "group_by", group_by, single=True)
    specs = as_mapping(aggregations)
    if not specs:
        raise fail(
            builder,
            "aggregations",
            f"must be a non-empty dict {{output_name: (function, column)}}, got {aggregations!r}",
            hint="to keep distinct keys only, use distinct(columns=...)",
        )
    expressions: list[str] = []
    for output, spec in specs.items():
        name = column_name(builder, "aggregations key", output)
        if name in keys:
            raise fail(
                builder,
                "aggregations",
                f"output {name!r} is also a group_by column; the output would have it twice",
            )
        expression = _aggregate(builder, f"aggregations[{name!r}]", spec)
        expressions.append(f"{expression} AS {quote_identifier(name)}")
    key_list = ", ".join(quote_identifier(key) for key in keys)
    lines = [
        f"SELECT {', '.join([key_list, *expressions])}",
        f"FROM {source}",
        f"GROUP BY {key_list}",
    ]
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def _aggregate(builder: str, argument: str, spec: object) -> str:
    """``("sum", "x")`` -> ``SUM(`x`)``."""
    pair = as_sequence(spec)
    if pair is None or len(pair) != 2:
        raise fail(builder, argument, f"must be a (function, column) pair, got {spec!r}")
    function, column = pair
    if not isinstance(function, str) or function not in _AGGREGATES:
        raise fail(
            builder, argument, f"function must be one of {', '.join(_AGGREGATES)}, got {function!r}"
        )
    if column == "*":
        if function != "count":
            raise fail(builder, argument, f"only count takes '*', got ({function!r}, '*')")
        return "COUNT(*)"
    name = quote_identifier(column_name(builder, f"{argument} column", column))
    if function == "count_distinct":
        return f"COUNT(DISTINCT {name})"
    return f"{_AGGREGATES[function]}({name})"


def union_tables(
    *,
    input_tables: Sequence[str],
    output_table: str,
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Concatenate the rows of two or more tables (``UNION ALL``: duplicates are kept)."""
    builder = "union_tables"
    tables = as_sequence(input_tables)
    if tables is None:
        raise fail(builder, "input_tables", f"must be a list of table paths, got {input_tables!r}")
    if len(tables) < 2:
        raise fail(builder, "input_tables", f"must list at least two tables, got {list(tables)!r}")
    lines: list[str] = []
    for index, table in enumerate(tables):
        if index:
            lines.append("UNION ALL")
        lines += ["SELECT *", f"FROM {table_argument(builder, f'input_tables[{index}]', table)}"]
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def distinct(
    *,
    input_table: str,
    output_table: str,
    columns: Sequence[str] | None = None,
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Drop duplicate rows (or duplicate ``columns`` combinations, keeping only those columns)."""
    builder = "distinct"
    source = table_argument(builder, "input_table", input_table)
    lines = [f"SELECT DISTINCT {_projection(builder, columns)}", f"FROM {source}"]
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def sort_table(
    *,
    input_table: str,
    output_table: str,
    order_by: str | Sequence[str],
    descending: bool = False,
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Write the rows ordered by ``order_by`` (every column descending when ``descending``)."""
    builder = "sort_table"
    source = table_argument(builder, "input_table", input_table)
    lines = ["SELECT *", f"FROM {source}", _order_by(builder, order_by, descending)]
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def limit_table(
    *,
    input_table: str,
    output_table: str,
    limit: int,
    order_by: str | Sequence[str] | None = None,
    descending: bool = False,
    append: bool = False,
    max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
) -> str:
    """Keep the first ``limit`` rows, in ``order_by`` order when given (else any rows)."""
    builder = "limit_table"
    source = table_argument(builder, "input_table", input_table)
    if not _is_count(limit):
        raise fail(builder, "limit", f"must be an integer >= 0, got {limit!r}")
    lines = ["SELECT *", f"FROM {source}"]
    if order_by is not None:
        lines.append(_order_by(builder, order_by, descending))
    elif flag_argument(builder, "descending", descending):
        raise fail(builder, "descending", "needs order_by: there is no order to reverse")
    lines.append(f"LIMIT {limit}")
    return script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def _is_count(value: object) -> bool:
    """An int >= 0 that is not a bool (True is an int to Python, not a row count)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
