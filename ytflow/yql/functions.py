"""YQL functions and types, and their DuckDB equivalents: the dev engine's vocabulary.

A name missing from these tables is not guessed at: the translator raises an error naming it
and its line, so dev never silently computes something different from the cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ytflow.yql.math_functions import MACROS as MATH_MACROS
from ytflow.yql.math_functions import MATH_FUNCTIONS

Args = Sequence[str]

# YQL builtins (case-insensitive) whose DuckDB function takes the same arguments.
BUILTINS: dict[str, str] = {
    "COUNT": "count",
    "SUM": "sum",
    "AVG": "avg",
    "MIN": "min",
    "MAX": "max",
    "COUNT_IF": "count_if",
    "BOOL_AND": "bool_and",
    "BOOL_OR": "bool_or",
    "SOME": "any_value",
    "MIN_BY": "arg_min",
    "MAX_BY": "arg_max",
    "MEDIAN": "median",
    "STDDEV": "stddev_samp",
    "VARIANCE": "var_samp",
    "AGGREGATE_LIST": "list",
    "COALESCE": "coalesce",
    "NVL": "coalesce",
    "GREATEST": "greatest",
    "LEAST": "least",
    "MAX_OF": "greatest",
    "MIN_OF": "least",
    "ABS": "abs",
    "LENGTH": "length",
    "LEN": "length",
    "LISTLENGTH": "len",
    "ASLIST": "list_value",
    "LISTEXTEND": "list_concat",
    "LISTHAS": "list_contains",
    "LISTSORT": "list_sort",
    "LISTREVERSE": "list_reverse",
    "STARTSWITH": "starts_with",
    "ENDSWITH": "ends_with",
    "ROW_NUMBER": "row_number",
    "RANK": "rank",
    "DENSE_RANK": "dense_rank",
    "LAG": "lag",
    "LEAD": "lead",
    "FIRST_VALUE": "first_value",
    "LAST_VALUE": "last_value",
}


_EMPTY = "''"


def _if(args: Args) -> str:
    if len(args) == 2:  # IF(cond, value): NULL otherwise
        return f"(CASE WHEN {args[0]} THEN {args[1]} END)"
    return f"(CASE WHEN {args[0]} THEN {args[1]} ELSE {args[2]} END)"


def _filtered(function: str) -> Callable[[Args], str]:
    return lambda args: f"{function}({args[0]}) FILTER (WHERE {args[1]})"


def _json(value: str) -> str:
    return f"to_json({value})"


def _lookup(cast: str | None, *, as_text: bool = False) -> Callable[[Args], str]:
    def build(args: Args) -> str:
        path = f"'$.\"' || replace({args[1]}, '\"', '\\\"') || '\"'"
        if as_text:
            return f"json_extract_string({_json(args[0])}, {path})"
        extracted = f"json_extract({_json(args[0])}, {path})"
        return f"CAST({extracted} AS {cast})" if cast else extracted

    return build


def _convert(cast: str | None, *, as_text: bool = False) -> Callable[[Args], str]:
    def build(args: Args) -> str:
        if as_text:
            return f"json_extract_string({_json(args[0])}, '$')"
        extracted = f"json_extract({_json(args[0])}, '$')"
        return f"CAST({extracted} AS {cast})" if cast else extracted

    return build


def _substring(a: Args) -> str:
    """YQL's SUBSTRING counts bytes from 0, and a NULL position or length means "from the
    start" or "to the end" (DuckDB would answer NULL)."""
    length = f"coalesce(CAST(({a[2]}) AS BIGINT), strlen({a[0]}))" if len(a) > 2 else "NULL"
    return f"ytflow_substring({a[0]}, coalesce(CAST(({a[1]}) AS BIGINT), 0), {length})"


def _ascii_only(function: str, text: str, body: str) -> str:
    """``body``, or a runtime error naming ``function`` for a string that is not ASCII: YQL
    counts bytes, DuckDB characters, and they agree only on ASCII."""
    return (
        f"CASE WHEN strlen({text}) <> length({text}) THEN error('ytflow: {function} counts "
        f"bytes in YQL; dev runs it on ASCII strings only') ELSE {body} END"
    )


# Macros the builders call; the session that runs translated SQL creates them. FIND and
# RFIND answer a 0-based byte position or NULL, searching from (or back from) ``pos``.
MACROS: tuple[str, ...] = (
    "CREATE MACRO ytflow_find(s, sub, pos) AS "
    + _ascii_only(
        "FIND",
        "s",
        "CASE WHEN instr(substring(s, pos + 1), sub) = 0 THEN NULL "
        "ELSE instr(substring(s, pos + 1), sub) - 1 + pos END",
    ),
    "CREATE MACRO ytflow_rfind(s, sub, pos) AS "
    + _ascii_only(
        "RFIND",
        "s",
        "CASE WHEN instr(reverse(left(s, pos + length(sub))), reverse(sub)) = 0 THEN NULL "
        "ELSE least(length(s), pos + length(sub)) - length(sub) "
        "- instr(reverse(left(s, pos + length(sub))), reverse(sub)) + 1 END",
    ),
    # bytes are counted in the text's hex digits (two per byte) unless it is ASCII
    "CREATE MACRO ytflow_substring(s, pos, len) AS CASE WHEN strlen(s) = length(s) "
    "THEN substring(s, pos + 1, coalesce(len, strlen(s))) "
    "ELSE decode(unhex(substring(hex(encode(s)), 2 * pos + 1, 2 * coalesce(len, strlen(s))))) "
    "END",
    # ListFromRange over Doubles is refused at run time (DuckDB's range takes integers)
    "CREATE MACRO ytflow_list_from_range(a, b, step) AS CASE WHEN "
    + " OR ".join(
        f"typeof({v}) IN ('DOUBLE', 'FLOAT') OR typeof({v}) LIKE 'DECIMAL%'"
        for v in ("a", "b", "step")
    )
    + " THEN error('ytflow: ListFromRange over Double values is not supported by the dev YQL "
    "engine') ELSE range(CAST(a AS BIGINT), CAST(b AS BIGINT), CAST(step AS BIGINT)) END",
    # BITCAST(v AS [U]IntN): v's low N bits, read as signed or unsigned
    "CREATE MACRO ytflow_low_bits(v, bits) AS "
    "((CAST(v AS HUGEINT) % (CAST(1 AS HUGEINT) << bits)) + (CAST(1 AS HUGEINT) << bits)) "
    "% (CAST(1 AS HUGEINT) << bits)",
    "CREATE MACRO ytflow_signed_bits(u, bits) AS CASE WHEN u >= (CAST(1 AS HUGEINT) << "
    "(bits - 1)) THEN u - (CAST(1 AS HUGEINT) << bits) ELSE u END",
    "CREATE MACRO ytflow_bitcast(v, bits, signed) AS CASE WHEN typeof(v) IN ('DOUBLE', "
    "'FLOAT') OR typeof(v) LIKE 'DECIMAL%' THEN error('ytflow: BITCAST of a Double is not "
    "supported by the dev YQL engine') WHEN signed THEN ytflow_signed_bits(ytflow_low_bits(v, "
    "bits), bits) ELSE ytflow_low_bits(v, bits) END",
    *MATH_MACROS,
)


def _first_false(a: Args) -> str:
    """The 1-based position of the first item of list ``a[0]`` for which predicate ``a[1]``
    is not true (one past the end if none)."""
    each = f"list_transform({a[0]}, {a[1]})"
    truth = f"list_transform({each}, lambda ytflow_b: coalesce(ytflow_b, false))"
    return f"coalesce(list_position({truth}, false), len({a[0]}) + 1)"


def _at(args: Args, index: int, default: str) -> str:
    return args[index] if len(args) > index else default


def _find(name: str) -> Callable[[Args], str]:
    def build(a: Args) -> str:
        default = "0" if name == "find" else f"length({a[0]})"
        position = f"coalesce(CAST({a[2]} AS BIGINT), {default})" if len(a) > 2 else default
        return f"ytflow_{name}({a[0]}, {a[1]}, {position})"

    return build


# Builtins that need their arguments rearranged: name -> (argument counts, builder).
SPECIAL_BUILTINS: dict[str, tuple[tuple[int, ...], Callable[[Args], str]]] = {
    "IF": ((2, 3), _if),
    "SUM_IF": ((2,), _filtered("sum")),
    "AVG_IF": ((2,), _filtered("avg")),
    "MIN_IF": ((2,), _filtered("min")),
    "MAX_IF": ((2,), _filtered("max")),
    "SUBSTRING": (
        (2, 3),
        _substring,
    ),
    "CURRENTUTCDATE": ((0,), lambda _: "current_date"),
    "CURRENTUTCDATETIME": ((0,), lambda _: "CAST(now() AS TIMESTAMP)"),
    "CURRENTUTCTIMESTAMP": ((0,), lambda _: "CAST(now() AS TIMESTAMP)"),
    "AGGREGATE_LIST_DISTINCT": ((1,), lambda a: f"list(DISTINCT {a[0]})"),
    # ListConcat joins a list of strings into one string (ListExtend concatenates lists).
    "LISTCONCAT": ((1, 2), lambda a: f"array_to_string({a[0]}, {a[1] if len(a) > 1 else _EMPTY})"),
    "PERCENTILE": ((2,), lambda a: f"quantile_cont({a[0]}, {a[1]})"),
    "FIND": ((2, 3), _find("find")),
    "RFIND": ((2, 3), _find("rfind")),
    # Utf8("...") and String("..."): a typed string literal is the string itself
    "UTF8": ((1,), lambda a: f"CAST({a[0]} AS VARCHAR)"),
    "STRING": ((1,), lambda a: f"CAST({a[0]} AS VARCHAR)"),
    "LISTNOTNULL": (
        (1,),
        lambda a: f"list_filter({a[0]}, lambda ytflow_item: ytflow_item IS NOT NULL)",
    ),
    "LISTFLATTEN": ((1,), lambda a: f"flatten({a[0]})"),
    "LISTFROMRANGE": (
        (2, 3),
        lambda a: f"ytflow_list_from_range({a[0]}, {a[1]}, {_at(a, 2, '1')})",
    ),
    "LISTREPLICATE": ((2,), lambda a: f"list_transform(range({a[1]}), lambda ytflow_item: {a[0]})"),
    "LISTMAP": ((2,), lambda a: f"list_transform({a[0]}, {a[1]})"),
    "LISTFILTER": ((2,), lambda a: f"list_filter({a[0]}, {a[1]})"),
    "LISTFOLD": ((3,), lambda a: f"list_reduce({a[0]}, {a[2]}, {a[1]})"),
    "LISTTAKEWHILE": ((2,), lambda a: f"list_slice({a[0]}, 1, {_first_false(a)} - 1)"),
    "LISTSKIPWHILE": ((2,), lambda a: f"list_slice({a[0]}, {_first_false(a)}, len({a[0]}))"),
    "UNWRAP": ((1,), lambda a: a[0]),
    "JUST": ((1,), lambda a: a[0]),
}

# Module::Function calls: (module, function) upper-cased -> (argument counts, builder).
MODULE_FUNCTIONS: dict[tuple[str, str], tuple[tuple[int, ...], Callable[[Args], str]]] = {}


def _rename(name: str) -> Callable[[Args], str]:
    return lambda args: f"{name}({', '.join(args)})"


for _yql, _duck, _counts in [
    ("CONTAINS", "contains", (2,)),
    ("STARTSWITH", "starts_with", (2,)),
    ("ENDSWITH", "ends_with", (2,)),
    ("HASPREFIX", "starts_with", (2,)),
    ("HASSUFFIX", "ends_with", (2,)),
    ("TOLOWER", "lower", (1,)),
    ("TOUPPER", "upper", (1,)),
    ("SPLITTOLIST", "string_split", (2,)),
    ("JOINFROMLIST", "array_to_string", (2,)),
    ("REPLACEALL", "replace", (3,)),
    ("STRIP", "trim", (1,)),
    ("REVERSE", "reverse", (1,)),
]:
    MODULE_FUNCTIONS["STRING", _yql] = (_counts, _rename(_duck))

for _name, _entry in MATH_FUNCTIONS.items():
    MODULE_FUNCTIONS["MATH", _name] = _entry

for _yql, _duck in [
    ("GETYEAR", "year"),
    ("GETMONTH", "month"),
    ("GETDAYOFMONTH", "day"),
    ("GETDAYOFYEAR", "dayofyear"),
    ("GETDAYOFWEEK", "isodow"),
    ("GETWEEKOFYEAR", "week"),
    ("GETHOUR", "hour"),
    ("GETMINUTE", "minute"),
    ("GETSECOND", "second"),
]:
    MODULE_FUNCTIONS["DATETIME", _yql] = ((1,), _rename(_duck))

MODULE_FUNCTIONS.update(
    {
        ("DATETIME", "FROMSECONDS"): ((1,), lambda a: f"to_timestamp({a[0]})::TIMESTAMP"),
        ("DATETIME", "FROMMILLISECONDS"): ((1,), lambda a: f"epoch_ms({a[0]})"),
        ("DATETIME", "TOSECONDS"): ((1,), lambda a: f"CAST(epoch({a[0]}) AS BIGINT)"),
        ("DATETIME", "TOMILLISECONDS"): ((1,), lambda a: f"epoch_ms({a[0]})"),
        ("DATETIME", "MAKEDATE"): ((1,), lambda a: f"CAST({a[0]} AS DATE)"),
        ("DATETIME", "MAKEDATETIME"): ((1,), lambda a: f"CAST({a[0]} AS TIMESTAMP)"),
        ("DATETIME", "MAKETIMESTAMP"): ((1,), lambda a: f"CAST({a[0]} AS TIMESTAMP)"),
        ("DATETIME", "STARTOFMONTH"): ((1,), lambda a: f"date_trunc('month', {a[0]})"),
        ("DATETIME", "STARTOFYEAR"): ((1,), lambda a: f"date_trunc('year', {a[0]})"),
        ("DATETIME", "STARTOFWEEK"): ((1,), lambda a: f"date_trunc('week', {a[0]})"),
        ("YSON", "CONVERTTOSTRING"): ((1,), _convert(None, as_text=True)),
        ("YSON", "CONVERTTOINT64"): ((1,), _convert("BIGINT")),
        ("YSON", "CONVERTTOUINT64"): ((1,), _convert("UBIGINT")),
        ("YSON", "ConvertToDouble"): ((1,), _convert("DOUBLE")),
        ("YSON", "CONVERTTOBOOL"): ((1,), _convert("BOOLEAN")),
        ("YSON", "CONVERTTOLIST"): ((1,), _convert("JSON[]")),
        ("YSON", "CONVERTTOSTRINGLIST"): ((1,), _convert("VARCHAR[]")),
        ("YSON", "CONVERTTOINT64LIST"): ((1,), _convert("BIGINT[]")),
        ("YSON", "ConvertToDoubleList"): ((1,), _convert("DOUBLE[]")),
        ("YSON", "LOOKUP"): ((2,), _lookup(None)),
        ("YSON", "LOOKUPSTRING"): ((2,), _lookup(None, as_text=True)),
        ("YSON", "LOOKUPINT64"): ((2,), _lookup("BIGINT")),
        ("YSON", "LOOKUPUINT64"): ((2,), _lookup("UBIGINT")),
        ("YSON", "LOOKUPDOUBLE"): ((2,), _lookup("DOUBLE")),
        ("YSON", "LOOKUPBOOL"): ((2,), _lookup("BOOLEAN")),
        ("YSON", "FROM"): ((1,), lambda a: _json(a[0])),
        ("STRING", "BASE64ENCODE"): ((1,), lambda a: f"to_base64(encode({a[0]}))"),
    }
)

# Lookups are case-insensitive, as YQL's are: keys are normalised to upper case.
for _module, _function in list(MODULE_FUNCTIONS):
    MODULE_FUNCTIONS[_module.upper(), _function.upper()] = MODULE_FUNCTIONS.pop(
        (_module, _function)
    )

# Curried calls, Module::Function(config)(value): (module, function) -> builder(config, value).
CURRIED_FUNCTIONS: dict[tuple[str, str], Callable[[Args, Args], str]] = {
    ("DATETIME", "FORMAT"): lambda config, value: f"strftime({value[0]}, {config[0]})",
    ("DATETIME", "PARSE"): lambda config, value: f"strptime({value[0]}, {config[0]})",
}

TYPES: dict[str, str] = {
    "STRING": "VARCHAR",
    "UTF8": "VARCHAR",
    "INT8": "TINYINT",
    "INT16": "SMALLINT",
    "INT32": "INTEGER",
    "INT64": "BIGINT",
    "UINT8": "UTINYINT",
    "UINT16": "USMALLINT",
    "UINT32": "UINTEGER",
    "UINT64": "UBIGINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "DATETIME": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP",
    "JSON": "JSON",
    "YSON": "JSON",
}

INTEGER_BITS = {f"{sign}INT{bits}": bits for sign in ("", "U") for bits in (8, 16, 32, 64)}
INTEGER_TYPES = frozenset(INTEGER_BITS)


KNOWN_PRAGMAS = {
    "YT.MAXROWWEIGHT",
    "YT.INFERSCHEMA",
    "YT.DEFAULTMAXJOBFAILS",
    "YT.POOL",
    "YT.DATASIZEPERJOB",
    "YT.DEFAULTOPERATIONWEIGHT",
    "YT.TMPFOLDER",
    "YT.QUERYCACHEMODE",
    "YT.AUTOMERGE",
    "YT.USENATIVEYTTYPES",
    "ORDEREDCOLUMNS",
    "SIMPLECOLUMNS",
    "DISABLESIMPLECOLUMNS",
    "ANSIINFOREMPTYORNULLABLEITEMSCOLLECTIONS",
    "ANSIORDERBYLIMITINUNIONALL",
    "ANSIRANKFORNULLABLEKEYS",
    "ANSIOPTIONALAS",
    "WARNINGASERROR",
    "FILTERPUSHDOWNOVERJOINOPTIONALSIDE",
}
