"""Checking and quoting the arguments of the YQL builders.

Every name a caller passes is validated (errors name the builder, the argument and the value)
and quoted here, so a table or column name can never add SQL of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import cast

from ytflow.errors import UsageError
from ytflow.paths import validate_table_path

_KIB = 1024
_MIB = 1024 * _KIB
_GIB = 1024 * _MIB

# The cluster rejects a larger yt.MaxRowWeight, so asking for more could only fail there.
MAX_ROW_WEIGHT_LIMIT = 128 * _MIB
DEFAULT_MAX_ROW_WEIGHT = "128M"
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


def fail(builder: str, argument: str, message: str, *, hint: str | None = None) -> UsageError:
    return UsageError(f"{builder}: {argument} {message}", hint=hint)


def table_argument(builder: str, argument: str, value: object) -> str:
    return quote_identifier(validate_table_path(value, what=f"{builder}: {argument}"))


def flag_argument(builder: str, argument: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise fail(builder, argument, f"must be True or False, got {value!r}")
    return value


def as_sequence(value: object) -> list[object] | None:
    """``value`` as a list when it is a list or tuple (a str is one name, not a sequence)."""
    if isinstance(value, list | tuple):
        return list(cast("Sequence[object]", value))
    return None


def as_mapping(value: object) -> dict[object, object] | None:
    if isinstance(value, Mapping):
        return dict(cast("Mapping[object, object]", value))
    return None


def lookup_option(options: Mapping[str, str], value: object) -> str | None:
    """``options[value]`` for a known str key, else None (never a TypeError on odd input)."""
    return options.get(value) if isinstance(value, str) else None


def column_name(builder: str, argument: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise fail(builder, argument, f"must be a non-empty column name, got {value!r}")
    return value


def column_names(builder: str, argument: str, value: object, *, single: bool = False) -> list[str]:
    """A non-empty list of distinct names; ``single`` also accepts one bare name."""
    if single and isinstance(value, str):
        return [column_name(builder, argument, value)]
    items = as_sequence(value)
    if items is None:
        wanted = "a column name or a list of them" if single else "a list of column names"
        raise fail(builder, argument, f"must be {wanted}, got {value!r}")
    if not items:
        raise fail(builder, argument, "must name at least one column, got an empty list")
    names = [column_name(builder, f"{argument}[{index}]", item) for index, item in enumerate(items)]
    no_duplicates(builder, argument, names)
    return names


def no_duplicates(
    builder: str, argument: str, names: Sequence[str], *, hint: str | None = None
) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise fail(builder, argument, f"names column {name!r} twice", hint=hint)
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
        raise fail(builder, "condition", f"must be a non-empty YQL expression, got {condition!r}")
    index = 0
    length = len(condition)
    while index < length:
        char = condition[index]
        pair = condition[index : index + 2]
        if char in "'\"`":
            index = _skip_quoted(builder, condition, index)
            continue
        if char == ";":
            raise fail(
                builder,
                "condition",
                f"{condition!r} contains ';' outside a string literal",
                hint="a condition is one expression; put ';' inside quotes if it is data",
            )
        if pair in {"--", "/*"}:
            raise fail(builder, "condition", f"{condition!r} contains a comment ({pair!r})")
        if pair == "@@":
            raise fail(
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
    raise fail(builder, "condition", f"{text!r} has an unterminated {quote} quote")


def script(
    builder: str,
    *,
    output_table: object,
    append: object,
    max_row_weight: object,
    lines: Sequence[str],
) -> str:
    """PRAGMA + ``INSERT INTO`` (``WITH TRUNCATE`` unless appending) + the query lines."""
    target = table_argument(builder, "output_table", output_table)
    truncate = "" if flag_argument(builder, "append", append) else " WITH TRUNCATE"
    weight = normalize_max_row_weight(max_row_weight, argument=f"{builder}: max_row_weight")
    header = [
        f"PRAGMA yt.MaxRowWeight = {quote_string(weight)};",
        f"INSERT INTO {target}{truncate}",
    ]
    return "\n".join([*header, *lines]) + ";\n"
