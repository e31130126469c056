"""YQL functions and types, and their DuckDB equivalents: the dev engine's vocabulary.

A name missing from these tables is not guessed at: the translator raises an error naming it
and its line, so dev never silently computes something different from the cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    """YQL's SUBSTRING counts from 0, and a NULL position or length means "from the start" or
    "to the end" (DuckDB would answer NULL)."""
    start = f"coalesce(({a[1]}), 0) + 1"
    if len(a) < 3:
        return f"substring({a[0]}, {start})"
    return f"substring({a[0]}, {start}, coalesce(({a[2]}), length({a[0]})))"


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

for _yql, _duck, _counts in [
    ("ABS", "abs", (1,)),
    ("SQRT", "sqrt", (1,)),
    ("FLOOR", "floor", (1,)),
    ("CEIL", "ceil", (1,)),
    ("POW", "pow", (2,)),
    ("EXP", "exp", (1,)),
    ("LOG", "ln", (1,)),
    ("LOG2", "log2", (1,)),
    ("LOG10", "log10", (1,)),
    ("SIN", "sin", (1,)),
    ("COS", "cos", (1,)),
    ("TAN", "tan", (1,)),
    ("PI", "pi", (0,)),
    ("ISNAN", "isnan", (1,)),
    ("ISINF", "isinf", (1,)),
]:
    MODULE_FUNCTIONS["MATH", _yql] = (_counts, _rename(_duck))

# Math::Round(x, n) rounds to the power of ten n (-2: two decimals); DuckDB counts decimals.
MODULE_FUNCTIONS["MATH", "ROUND"] = (
    (1, 2),
    lambda a: f"round({a[0]}, -({a[1]}))" if len(a) > 1 else f"round({a[0]})",
)

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

INTEGER_TYPES = frozenset(
    {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}
)


def cast(value: str, type_name: str) -> str:
    """YQL ``CAST(value AS type_name)`` (a key of ``TYPES``) as DuckDB SQL.

    YQL's CAST returns NULL when the value does not convert (DuckDB's CAST raises), drops the
    fraction of a Double cast to an integer type (DuckDB rounds), parses only whole numbers as
    integers (DuckDB rounds ``"3.7"`` to 4), and writes an integral Double as a String without
    ``.0`` (``CAST(5.0 AS String)`` is ``"5"``).
    """
    target = TYPES[type_name]
    fractional = f"(typeof({value}) IN ('DOUBLE', 'FLOAT') OR typeof({value}) LIKE 'DECIMAL%')"
    as_double = f"TRY_CAST({value} AS DOUBLE)"
    if type_name in INTEGER_TYPES:
        not_whole = (
            f"(typeof({value}) = 'VARCHAR' AND NOT "
            f"regexp_full_match(TRY_CAST({value} AS VARCHAR), '-?[0-9]+'))"
        )
        return (
            f"(CASE WHEN {fractional} THEN TRY_CAST(trunc({as_double}) AS {target}) "
            f"WHEN {not_whole} THEN NULL ELSE TRY_CAST({value} AS {target}) END)"
        )
    if target == "VARCHAR":
        return (
            f"(CASE WHEN {fractional} THEN regexp_replace(CAST({as_double} AS VARCHAR), "
            f"'\\.0$', '') ELSE TRY_CAST({value} AS VARCHAR) END)"
        )
    return f"TRY_CAST({value} AS {target})"


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
