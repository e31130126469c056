"""YQL's ``/``, ``%`` and ``NOT`` on DuckDB, and the session setup the generated SQL relies on.

YQL divides integers as integers and gives NULL for an integer division by zero, while a
Double divided by zero is ``inf``, ``-inf`` or ``nan`` (IEEE). DuckDB has one switch for
both (``error_on_division_by_zero``), and a ``CASE`` that picks a branch by operand type
would turn every integer result into a Double (its branches share one type). So:

- where the translator can see that an operand is a Double (a float literal, a ``CAST`` to
  Double or Float, arithmetic over one), ``ytflow_float_div`` computes the IEEE answer;
- elsewhere ``ytflow_div``/``ytflow_mod`` turn an integer divisor of zero into NULL, keeping
  the result's type; a Double divided by zero that only DuckDB's types reveal (a Double
  column) fails with DuckDB's "Division by zero", which the engine reports by name — an error,
  never a NULL where the cluster answers ``inf``.
"""

from __future__ import annotations

import re

from sqlglot import exp

from ytflow.yql.ast.nodes import YqlCast
from ytflow.yql.functions import MACROS as FUNCTION_MACROS
from ytflow.yql.math_functions import NOT_DOUBLE

_FRACTIONAL = "('DOUBLE', 'FLOAT')"


def _fractional(value: str) -> str:
    return f"(typeof({value}) IN {_FRACTIONAL} OR typeof({value}) LIKE 'DECIMAL%')"


def _divisor(operator: str) -> str:
    return (
        f"a {operator} CASE WHEN {_fractional('a')} OR {_fractional('b')} THEN b "
        "ELSE nullif(b, 0) END"
    )


_A, _B = "CAST(a AS DOUBLE)", "CAST(b AS DOUBLE)"
_TWO_64 = 2**64

# Run on every connection that runs translated SQL, in order: settings, then the macros the
# generated SQL calls (operators here, functions in ``functions.py``).
SETTINGS: tuple[str, ...] = (
    # integer / integer stays an integer (YQL's PRAGMA ClassicDivision, on by default)
    "SET integer_division = true",
    # NULL sorts before every value ascending and after every value descending, as in YT
    "SET default_null_order = 'nulls_first_on_asc_last_on_desc'",
)
# Creating these costs a few milliseconds, so a session creates them when its SQL calls one
# (``calls_macros``).
MACROS: tuple[str, ...] = (
    f"CREATE MACRO ytflow_div(a, b) AS {_divisor('/')}",
    f"CREATE MACRO ytflow_mod(a, b) AS {_divisor('%')}",
    "CREATE MACRO ytflow_float_div(a, b) AS CASE "
    "WHEN a IS NULL OR b IS NULL THEN NULL "
    f"WHEN {_B} <> 0 THEN {_A} / {_B} "
    f"WHEN {_A} = 0 OR isnan({_A}) THEN CAST('nan' AS DOUBLE) "
    f"WHEN ({_A} < 0) <> signbit({_B}) THEN CAST('-inf' AS DOUBLE) "
    "ELSE CAST('inf' AS DOUBLE) END",
    f"CREATE MACRO ytflow_float_mod(a, b) AS {_A} % {_B}",  # fmod: x % 0.0 is nan
    # Uint64 arithmetic as YQL does it: operands' bits read as unsigned, the result modulo 2^64
    f"CREATE MACRO ytflow_unsigned(x) AS (CAST(x AS HUGEINT) % {_TWO_64} + {_TWO_64}) % {_TWO_64}",
    "CREATE MACRO ytflow_u64(x) AS CAST(ytflow_unsigned(x) AS UBIGINT)",
    # YQL's NOT takes a Bool (DuckDB would read 5 as true): NOT x IN (...) is (NOT x) IN (...)
    "CREATE MACRO ytflow_bool(x) AS CASE WHEN typeof(x) IN ('BOOLEAN', '\"NULL\"', 'NULL') "
    "THEN x ELSE error('ytflow: NOT applies to a Bool in YQL and binds tighter than a "
    "comparison: NOT x IN (...) is (NOT x) IN (...); write x NOT IN (...) or NOT (x IN (...))') "
    "END",
    *FUNCTION_MACROS,
)
SESSION_SQL = SETTINGS + MACROS
_MACRO_CALL = re.compile(r'(?<![\w"])ytflow_\w+\(')


def calls_macros(sql: str) -> bool:
    """Whether ``sql`` calls one of ``MACROS``."""
    return _MACRO_CALL.search(sql) is not None


_FLOAT_CASTS = frozenset({"DOUBLE", "FLOAT"})
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)


def is_double(node: exp.Expr) -> bool:
    """Whether YQL types ``node`` as a Double (or Float) from its text alone."""
    if isinstance(node, exp.Literal):
        return not node.is_string and any(mark in node.name for mark in ".eE")
    if isinstance(node, (YqlCast, exp.Cast)):
        to = node.args["to"]
        return (to.this.name if isinstance(to, exp.DataType) else str(to)).upper() in _FLOAT_CASTS
    if isinstance(node, (exp.Paren, exp.Neg)):
        return is_double(node.this)
    if isinstance(node, _ARITHMETIC):
        return is_double(node.this) or is_double(node.expression)
    if isinstance(node, exp.Anonymous):  # Math::Sqrt(...): Math:: answers Doubles
        module, _, function = node.name.upper().partition("::")
        return module == "MATH" and function not in NOT_DOUBLE
    return False


# Aggregates YQL types as Uint64.
UINT64_RESULTS = frozenset({"COUNT", "COUNT_IF"})
_OPERATORS: dict[type[exp.Expr], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*"}


def is_uint64(node: exp.Expr) -> bool:
    """Whether YQL computes ``node`` as a Uint64 from its text alone: a ``COUNT``, a cast to
    Uint64, or arithmetic of one with an integer literal (an Int32) or another Uint64 (with
    an Int64 column the result is an Int64, which DuckDB's signed arithmetic gives)."""
    if isinstance(node, exp.Paren):
        return is_uint64(node.this)
    if isinstance(node, exp.Anonymous):
        return node.name.upper() in UINT64_RESULTS
    if isinstance(node, YqlCast):
        return str(node.args["to"]).upper() == "UINT64" and not node.args.get("bits")
    if isinstance(node, _ARITHMETIC):
        left, right = node.this, node.expression
        return (is_uint64(left) and (is_uint64(right) or _int_literal(right))) or (
            is_uint64(right) and _int_literal(left)
        )
    return False


def _int_literal(node: exp.Expr) -> bool:
    while isinstance(node, (exp.Paren, exp.Neg)):
        node = node.this
    return isinstance(node, exp.Literal) and not node.is_string and not is_double(node)


def uint64_sql(expression: exp.Expr, left: str, right: str) -> str:
    """YQL's Uint64 arithmetic (``COUNT(*) - 5`` wraps around to 2^64 - 2 over 3 rows)."""
    a, b = f"ytflow_unsigned({left})", f"ytflow_unsigned({right})"
    if isinstance(expression, (exp.Div, exp.Mod)):
        kind = "div" if isinstance(expression, exp.Div) else "mod"
        return f"CAST(ytflow_{kind}({a}, {b}) AS UBIGINT)"
    return f"ytflow_u64({a} {_OPERATORS[type(expression)]} {b})"


def division_sql(expression: exp.Div | exp.Mod, left: str, right: str) -> str:
    """DuckDB SQL for YQL's ``left / right`` or ``left % right``."""
    if is_uint64(expression):
        return uint64_sql(expression, left, right)
    double = is_double(expression.this) or is_double(expression.expression)
    kind = "div" if isinstance(expression, exp.Div) else "mod"
    return f"ytflow_{'float_' if double else ''}{kind}({left}, {right})"
