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

import re
from collections.abc import Mapping, Sequence
from typing import Literal, cast

from ytflow.errors import UsageError
from ytflow.paths import validate_table_path

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

_KIB = 1024
_MIB = 1024 * _KIB
_GIB = 1024 * _MIB

# The cluster rejects a larger yt.MaxRowWeight, so asking for more could only fail there.
MAX_ROW_WEIGHT_LIMIT = 128 * _MIB
DEFAULT_MAX_ROW_WEIGHT = "128M"

JoinHow = Literal["inner", "left", "right", "full"]
JoinOn = str | Sequence[str] | Mapping[str, str | Sequence[str]]
AggregateFunction = Literal["count", "sum", "avg", "min", "max", "count_distinct"]

_JOIN_KEYWORDS: dict[str, str] = {
    "inner": "JOIN",
    "left": "LEFT JOIN",
    "right": "RIGHT JOIN",
    "full": "FULL JOIN",
}
_AGGREGATES: dict[str, str] = {
    "count": "COUNT",
    "sum": "SUM",
    "avg": "AVG",
    "min": "MIN",
    "max": "MAX",
    "count_distinct": "COUNT",
}
_JOIN_ALIASES = frozenset({"a", "b"})  # a = left table, b = right table
_SIZE = re.compile(r"(\d+)([kmg]?)", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": _KIB, "m": _MIB, "g": _GIB}


# --- quoting -------------------------------------------------------------------------------


def quote_identifier(name: str) -> str:
    r"""Backquote a column name or path; ``\`` and ``\\`` escapes keep it one YQL token."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(value: str) -> str:
    r"""Double-quote a YQL string literal; ``\\`` and ``\"`` escapes keep it one token."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- argument checks -----------------------------------------------------------------------


def _fail(builder: str, argument: str, message: str, *, hint: str | None = None) -> UsageError:
    return UsageError(f"{builder}: {argument} {message}", hint=hint)


def _table(builder: str, argument: str, value: object) -> str:
    return quote_identifier(validate_table_path(value, what=f"{builder}: {argument}"))


def _flag(builder: str, argument: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _fail(builder, argument, f"must be True or False, got {value!r}")
    return value


def _sequence(value: object) -> list[object] | None:
    """``value`` as a list when it is a list or tuple (a str is one name, not a sequence)."""
    if isinstance(value, list | tuple):
        return list(cast("Sequence[object]", value))
    return None


def _mapping(value: object) -> dict[object, object] | None:
    if isinstance(value, Mapping):
        return dict(cast("Mapping[object, object]", value))
    return None


def _lookup(options: Mapping[str, str], value: object) -> str | None:
    """``options[value]`` for a known str key, else None (never a TypeError on odd input)."""
    return options.get(value) if isinstance(value, str) else None


def _column(builder: str, argument: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(builder, argument, f"must be a non-empty column name, got {value!r}")
    return value


def _column_list(builder: str, argument: str, value: object, *, single: bool = False) -> list[str]:
    """A non-empty list of distinct names; ``single`` also accepts one bare name."""
    if single and isinstance(value, str):
        return [_column(builder, argument, value)]
    items = _sequence(value)
    if items is None:
        wanted = "a column name or a list of them" if single else "a list of column names"
        raise _fail(builder, argument, f"must be {wanted}, got {value!r}")
    if not items:
        raise _fail(builder, argument, "must name at least one column, got an empty list")
    names = [_column(builder, f"{argument}[{index}]", item) for index, item in enumerate(items)]
    _no_duplicates(builder, argument, names)
    return names


def _no_duplicates(
    builder: str, argument: str, names: Sequence[str], *, hint: str | None = None
) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _fail(builder, argument, f"names column {name!r} twice", hint=hint)
        seen.add(name)


def normalize_max_row_weight(value: object, *, argument: str = "max_row_weight") -> str:
    """``"16M"``, ``"1G"`` or a byte count -> the pragma value; above 128M the cluster refuses."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UsageError(
            f"{argument} must be a byte count or a size such as '16M', got {value!r}",
        )
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.fullmatch(value.strip())
        if match is None:
            raise UsageError(
                f"{argument} {value!r} is not a size; write bytes or a number with K, M or G "
                "(powers of 1024), such as '64M'"
            )
        size = int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    if size <= 0:
        raise UsageError(f"{argument} must be positive, got {value!r}")
    if size > MAX_ROW_WEIGHT_LIMIT:
        raise UsageError(
            f"{argument} {value!r} is too large: the cluster caps yt.MaxRowWeight at 128M",
            hint="split heavy rows or keep max_row_weight at '128M' or below",
        )
    return f"{size // _MIB}M" if size % _MIB == 0 else str(size)


def check_condition(condition: object, *, builder: str = "filter_table") -> str:
    """Allow one YQL expression only: no ``;``, comment or ``@@`` literal outside quotes.

    The condition is the pipeline author's own text, so this is not a sandbox; it makes sure
    the text stays inside the WHERE clause, so the script remains exactly one statement.
    Quoted strings ('...', "...") and identifiers (`...`) are skipped with YQL's backslash
    escapes, so ``name = "a;b"`` is fine. Comments and ``@@`` strings are refused because
    they would change where the scanner and YQL think a literal or the statement ends.
    """
    if not isinstance(condition, str) or not condition.strip():
        raise _fail(builder, "condition", f"must be a non-empty YQL expression, got {condition!r}")
    index = 0
    length = len(condition)
    while index < length:
        char = condition[index]
        pair = condition[index : index + 2]
        if char in "'\"`":
            index = _skip_quoted(builder, condition, index)
            continue
        if char == ";":
            raise _fail(
                builder,
                "condition",
                f"{condition!r} contains ';' outside a string literal",
                hint="a condition is one expression; put ';' inside quotes if it is data",
            )
        if pair in {"--", "/*"}:
            raise _fail(builder, "condition", f"{condition!r} contains a comment ({pair!r})")
        if pair == "@@":
            raise _fail(
                builder,
                "condition",
                f"{condition!r} contains an @@ string",
                hint="write the string with quotes: 'text' or \"text\"",
            )
        index += 1
    return condition


def _skip_quoted(builder: str, text: str, start: int) -> int:
    """Index just past the literal that opens at ``start``; backslash escapes one character."""
    quote = text[start]
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif char == quote:
            return index + 1
        else:
            index += 1
    raise _fail(builder, "condition", f"{text!r} has an unterminated {quote} quote")


# --- script assembly -----------------------------------------------------------------------


def _script(
    builder: str,
    *,
    output_table: object,
    append: object,
    max_row_weight: object,
    lines: Sequence[str],
) -> str:
    """PRAGMA + ``INSERT INTO`` (``WITH TRUNCATE`` unless appending) + the query lines."""
    target = _table(builder, "output_table", output_table)
    truncate = "" if _flag(builder, "append", append) else " WITH TRUNCATE"
    weight = normalize_max_row_weight(max_row_weight, argument=f"{builder}: max_row_weight")
    header = [
        f"PRAGMA yt.MaxRowWeight = {quote_string(weight)};",
        f"INSERT INTO {target}{truncate}",
    ]
    return "\n".join([*header, *lines]) + ";\n"


def _projection(builder: str, columns: object) -> str:
    """``*`` for None, else the quoted column list."""
    if columns is None:
        return "*"
    return ", ".join(quote_identifier(name) for name in _column_list(builder, "columns", columns))


def _order_by(builder: str, order_by: object, descending: object) -> str:
    suffix = " DESC" if _flag(builder, "descending", descending) else ""
    names = _column_list(builder, "order_by", order_by, single=True)
    return "ORDER BY " + ", ".join(quote_identifier(name) + suffix for name in names)


# --- builders ------------------------------------------------------------------------------


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
    left = _table(builder, "left_table", left_table)
    right = _table(builder, "right_table", right_table)
    keyword = _lookup(_JOIN_KEYWORDS, how)
    if keyword is None:
        raise _fail(builder, "how", f"must be one of {', '.join(_JOIN_KEYWORDS)}, got {how!r}")
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
    return _script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def _join_keys(builder: str, on: object) -> list[tuple[str, str]]:
    """``on`` in any of its three forms -> (left column, right column) pairs."""
    sides = _mapping(on)
    if sides is not None:
        if set(sides) != {"left", "right"}:
            raise _fail(
                builder,
                "on",
                f"as a dict must have exactly the keys 'left' and 'right', got {list(sides)!r}",
            )
        left = _column_list(builder, "on['left']", sides["left"], single=True)
        right = _column_list(builder, "on['right']", sides["right"], single=True)
        if len(left) != len(right):
            raise _fail(
                builder,
                "on",
                f"lists {len(left)} left column(s) but {len(right)} right column(s): {on!r}",
                hint="pair each left key with one right key",
            )
        return list(zip(left, right, strict=True))
    if not isinstance(on, str) and _sequence(on) is None:
        raise _fail(
            builder,
            "on",
            f"must be a column name, a list of names or {{'left': ..., 'right': ...}}, got {on!r}",
        )
    return [(name, name) for name in _column_list(builder, "on", on, single=True)]


def _join_projection(builder: str, select: object) -> str:
    if select is None:
        return "*"
    renames = _mapping(select)
    if renames is not None:
        if not renames:
            raise _fail(builder, "select_columns", "must name at least one column, got {}")
        items = [
            (_column(builder, "select_columns key", output), source)
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
    _no_duplicates(
        builder,
        "select_columns",
        outputs,
        hint="rename one of them with a dict such as {'right_id': 'b.id'}",
    )
    return ", ".join(rendered)


def _list_of_objects(builder: str, argument: str, value: object) -> Sequence[object]:
    items = _sequence(value)
    if items is None:
        raise _fail(builder, argument, f"must be a list of column names, got {value!r}")
    if not items:
        raise _fail(builder, argument, "must name at least one column, got an empty list")
    return items


def _qualified(builder: str, item: object) -> tuple[str, str]:
    """``"a.order_id"`` -> ``("a", "order_id")``; the alias says which table, so it is required."""
    if not isinstance(item, str) or not item:
        raise _fail(
            builder, "select_columns", f"items must be strings such as 'a.id', got {item!r}"
        )
    alias, dot, column = item.partition(".")
    if not dot:
        raise _fail(
            builder,
            "select_columns",
            f"item {item!r} has no table prefix, so it is ambiguous",
            hint=f"write 'a.{item}' (left table) or 'b.{item}' (right table)",
        )
    if alias not in _JOIN_ALIASES:
        raise _fail(
            builder,
            "select_columns",
            f"item {item!r} has prefix {alias!r}; use 'a' (left table) or 'b' (right table)",
        )
    if not column:
        raise _fail(builder, "select_columns", f"item {item!r} has no column name after '.'")
    return alias, column


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
    source = _table(builder, "input_table", input_table)
    where = check_condition(condition, builder=builder)
    lines = [f"SELECT {_projection(builder, columns)}", f"FROM {source}", f"WHERE {where}"]
    return _script(
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
    source = _table(builder, "input_table", input_table)
    renames = _mapping(columns)
    if renames is not None:
        if not renames:
            raise _fail(builder, "columns", "must name at least one column, got {}")
        parts: list[str] = []
        for output, name in renames.items():
            output_name = _column(builder, "columns key", output)
            input_name = _column(builder, f"columns[{output_name!r}]", name)
            part = quote_identifier(input_name)
            if output_name != input_name:
                part += f" AS {quote_identifier(output_name)}"
            parts.append(part)
        projection = ", ".join(parts)
    else:
        names = _column_list(builder, "columns", columns)
        projection = ", ".join(quote_identifier(name) for name in names)
    lines = [f"SELECT {projection}", f"FROM {source}"]
    return _script(
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
    source = _table(builder, "input_table", input_table)
    keys = _column_list(builder, "group_by", group_by, single=True)
    specs = _mapping(aggregations)
    if not specs:
        raise _fail(
            builder,
            "aggregations",
            f"must be a non-empty dict {{output_name: (function, column)}}, got {aggregations!r}",
            hint="to keep distinct keys only, use distinct(columns=...)",
        )
    expressions: list[str] = []
    for output, spec in specs.items():
        name = _column(builder, "aggregations key", output)
        if name in keys:
            raise _fail(
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
    return _script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def _aggregate(builder: str, argument: str, spec: object) -> str:
    """``("sum", "x")`` -> ``SUM(`x`)``."""
    pair = _sequence(spec)
    if pair is None or len(pair) != 2:
        raise _fail(builder, argument, f"must be a (function, column) pair, got {spec!r}")
    function, column = pair
    if not isinstance(function, str) or function not in _AGGREGATES:
        raise _fail(
            builder, argument, f"function must be one of {', '.join(_AGGREGATES)}, got {function!r}"
        )
    if column == "*":
        if function != "count":
            raise _fail(builder, argument, f"only count takes '*', got ({function!r}, '*')")
        return "COUNT(*)"
    name = quote_identifier(_column(builder, f"{argument} column", column))
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
    tables = _sequence(input_tables)
    if tables is None:
        raise _fail(builder, "input_tables", f"must be a list of table paths, got {input_tables!r}")
    if len(tables) < 2:
        raise _fail(builder, "input_tables", f"must list at least two tables, got {list(tables)!r}")
    lines: list[str] = []
    for index, table in enumerate(tables):
        if index:
            lines.append("UNION ALL")
        lines += ["SELECT *", f"FROM {_table(builder, f'input_tables[{index}]', table)}"]
    return _script(
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
    source = _table(builder, "input_table", input_table)
    lines = [f"SELECT DISTINCT {_projection(builder, columns)}", f"FROM {source}"]
    return _script(
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
    source = _table(builder, "input_table", input_table)
    lines = ["SELECT *", f"FROM {source}", _order_by(builder, order_by, descending)]
    return _script(
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
    source = _table(builder, "input_table", input_table)
    if not _is_count(limit):
        raise _fail(builder, "limit", f"must be an integer >= 0, got {limit!r}")
    lines = ["SELECT *", f"FROM {source}"]
    if order_by is not None:
        lines.append(_order_by(builder, order_by, descending))
    elif _flag(builder, "descending", descending):
        raise _fail(builder, "descending", "needs order_by: there is no order to reverse")
    lines.append(f"LIMIT {limit}")
    return _script(
        builder,
        output_table=output_table,
        append=append,
        max_row_weight=max_row_weight,
        lines=lines,
    )


def _is_count(value: object) -> bool:
    """An int >= 0 that is not a bool (True is an int to Python, not a row count)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
