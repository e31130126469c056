"""YQL's ``Math::`` module on DuckDB, as its reference states it: arguments are converted to
Double and results are Doubles (``Math::Sqrt(256)`` is ``16.0``, ``Math::Trunc(1.2345)`` is
``1.0``), ``Math::Mod``/``Math::Rem`` are Int64 and NULL for a zero divisor. A function
missing here (``Erf``, ``ErfInv``...) is refused by name, never approximated."""

from __future__ import annotations

from collections.abc import Callable, Sequence

Args = Sequence[str]
Builder = Callable[[Args], str]


def _double(value: str) -> str:
    return f"CAST({value} AS DOUBLE)"


def _call(name: str) -> Builder:
    return lambda args: f"{name}({', '.join(_double(arg) for arg in args)})"


def _template(text: str) -> Builder:
    """``text`` with ``{0}``, ``{1}`` replaced by the Double arguments (each used once)."""
    return lambda args: text.format(*(_double(arg) for arg in args))


_DOUBLE_TO_DOUBLE = {
    "ABS": "abs",
    "ACOS": "acos",
    "ASIN": "asin",
    "ASINH": "asinh",
    "ATAN": "atan",
    "CBRT": "cbrt",
    "CEIL": "ceil",
    "COS": "cos",
    "COSH": "cosh",
    "EXP": "exp",
    "FABS": "abs",
    "FLOOR": "floor",
    "LGAMMA": "lgamma",
    "LOG": "ln",
    "LOG2": "log2",
    "LOG10": "log10",
    "SIN": "sin",
    "SINH": "sinh",
    "SQRT": "sqrt",
    "TAN": "tan",
    "TANH": "tanh",
    "TGAMMA": "gamma",
    "TRUNC": "trunc",
}
_DOUBLE_TO_BOOL = {"ISNAN": "isnan", "ISINF": "isinf", "ISFINITE": "isfinite"}

# Macros the builders below call; the session that runs translated SQL creates them.
MACROS: tuple[str, ...] = (
    "CREATE MACRO ytflow_math_remainder(x, y) AS CASE WHEN y = 0 THEN CAST('nan' AS DOUBLE) "
    "ELSE x - y * round_even(x / y, 0) END",
    "CREATE MACRO ytflow_math_hypot(x, y) AS sqrt(x * x + y * y)",
    "CREATE MACRO ytflow_math_fuzzy_equals(x, y, eps) AS "
    "abs(x - y) <= eps * greatest(abs(x), abs(y))",
    "CREATE MACRO ytflow_math_mod(a, b) AS CASE WHEN b = 0 THEN NULL "
    "WHEN a % b <> 0 AND (a % b < 0) <> (b < 0) THEN a % b + b ELSE a % b END",
    "CREATE MACRO ytflow_math_rem(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a % b END",
)


def _int64(name: str) -> Builder:
    return lambda args: f"{name}({', '.join(f'CAST({arg} AS BIGINT)' for arg in args)})"


def _fuzzy_equals(args: Args) -> str:
    eps = args[2] if len(args) > 2 else "1.0e-13"
    return f"ytflow_math_fuzzy_equals({_double(args[0])}, {_double(args[1])}, {_double(eps)})"


def _round(args: Args) -> str:
    """``Math::Round(x, n)`` rounds to the power of ten ``n`` (-2: two decimals); DuckDB
    counts decimals."""
    if len(args) > 1:
        return f"round({_double(args[0])}, -({args[1]}))"
    return f"round({_double(args[0])})"


MATH_FUNCTIONS: dict[str, tuple[tuple[int, ...], Builder]] = {
    **{name: ((1,), _call(duck)) for name, duck in _DOUBLE_TO_DOUBLE.items()},
    **{name: ((1,), _call(duck)) for name, duck in _DOUBLE_TO_BOOL.items()},
    "PI": ((0,), lambda _: "pi()"),
    "E": ((0,), lambda _: "exp(CAST(1 AS DOUBLE))"),
    "EPS": ((0,), lambda _: "CAST(2.220446049250313e-16 AS DOUBLE)"),
    "EXP2": ((1,), _template("pow(2.0, {0})")),
    "RINT": ((1,), _template("round_even({0}, 0)")),
    "SIGMOID": ((1,), _template("(1.0 / (1.0 + exp(-{0})))")),
    "ATAN2": ((2,), _call("atan2")),
    "FMOD": ((2,), _call("fmod")),
    "HYPOT": ((2,), _call("ytflow_math_hypot")),
    "POW": ((2,), _call("pow")),
    "REMAINDER": ((2,), _call("ytflow_math_remainder")),
    "LDEXP": ((2,), lambda a: f"({_double(a[0])} * pow(2.0, {a[1]}))"),
    "ROUND": ((1, 2), _round),
    "FUZZYEQUALS": ((2, 3), _fuzzy_equals),
    "MOD": ((2,), _int64("ytflow_math_mod")),
    "REM": ((2,), _int64("ytflow_math_rem")),
}

# Math:: functions whose result is not a Double (the rest are).
NOT_DOUBLE = frozenset({*_DOUBLE_TO_BOOL, "FUZZYEQUALS", "MOD", "REM"})
