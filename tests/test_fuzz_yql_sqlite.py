"""Differential fuzzing of dev YQL against SQLite on integer queries (hypothesis).

Each example draws a small integer table (columns ``a``..``e``, values in -20..20, some
``NULL``s) and three queries over it, built from constructs where YQL and SQLite give the
same answer: ``+ - * / %`` (integer division truncates toward zero; ``x / 0`` and ``x % 0``
are ``NULL``), unary minus, comparisons (``=``/``==``, ``<>``/``!=``, ...), ``AND``/``OR``/
``NOT``, ``IS [NOT] NULL``, ``[NOT] BETWEEN``, ``[NOT] IN (literals)``, both ``CASE`` forms
(with ``ELSE``, which YQL requires), ``COALESCE``, ``abs``, ``COUNT(*)``/``COUNT``/``SUM``/
``MIN``/``MAX`` (and their ``DISTINCT`` forms) with ``GROUP BY`` and ``HAVING``, ``WHERE``,
``SELECT DISTINCT``, ``ORDER BY`` and ``LIMIT``/``OFFSET`` (under an ``ORDER BY`` of every
column). The same text runs in SQLite and through ``DevClient.run_yql`` (only the table name
differs) and the answers are compared as the SQLite oracle suite compares them
(``tests/yql_oracle/runner.py``): values formatted, booleans as 0/1, rows in order when
``ORDER BY`` names every output column, else as multisets. Any exception from dev, a refusal
included, fails the test: every construct drawn here is one dev claims to run.

Expressions are typed (an integer where YQL wants one, a ``Bool`` where it wants one), so
every query is valid YQL, and their magnitude is bounded so nothing leaves ``Int32`` (YQL's
type for an integer literal). Where YQL's documented semantics differ from SQLite's, the
generator keeps out of the way (dev answers as SQLite there, so this test cannot check it;
the cases are reported to the engine's maintainers with YQL's grammar and docs as evidence):

- ``NOT`` binds tighter than comparisons in YQL (``NOT a < b`` is ``(NOT a) < b``), so a
  ``NOT`` and its operand are always parenthesized;
- ``x IN (..., NULL)`` is ``false`` in YQL without ``PRAGMA AnsiInForEmptyOrNullableItems
  Collections`` and ``NULL`` in SQLite, so ``IN`` lists hold non-``NULL`` literals only;
- ``COUNT`` is ``Uint64`` in YQL and ``Uint64 op Int32`` is computed unsigned (``COUNT(*) - 5``
  wraps around), so a ``COUNT`` used as an operand is cast to ``Int64``;
- every column holds at least one value (an all-``NULL`` column has no integer type in dev).

The default run checks 30 queries (about 2 s); ``pytest -m slow`` checks 2,100 (under 2
minutes on an idle machine).
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.yql_oracle.runner import answer
from ytflow.dev.client import DevClient

FAST = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
SLOW = settings(
    max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

COLUMNS = ("a", "b", "c", "d", "e")
TABLE = "//tmp/fuzz/t1"
MAX_ROWS = 8
DEPTH = 2  # nesting of a drawn expression (deeper ones find nothing more, and run slower)
# Magnitude a drawn expression may reach: below 2**31, so Int32 literal arithmetic in YQL and
# DuckDB's INTEGER literals never overflow.
LIMIT = 2**31 - 1

# --- expressions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """SQL text valid in both dialects; ``bound`` is the largest magnitude it can take."""

    text: str
    bound: int = 1
    # "atom": one token or self-delimited (a literal, a column, a call, CASE ... END);
    # "arith": arithmetic; "other": anything else (a Bool made of operators)
    kind: str = "other"
    unsigned: bool = False  # a COUNT: Uint64 in YQL (see _signed)


@dataclass(frozen=True)
class Scope:
    """What an expression may name: row columns, or group keys plus aggregates."""

    columns: tuple[str, ...]
    aggregates: bool = False


literals = st.integers(-20, 20).map(lambda n: Expr(str(n), abs(n), "atom"))


def _leaf(scope: Scope) -> st.SearchStrategy[Expr]:
    # weights by repetition: columns (or aggregates) most, literals often, NULL rarely
    options: list[st.SearchStrategy[Expr]] = [literals, literals, st.just(Expr("NULL", 0, "atom"))]
    if scope.columns:
        options += [st.sampled_from(scope.columns).map(lambda c: Expr(c, 20, "atom"))] * 4
    if scope.aggregates:
        options += [aggregates()] * 3
    return st.one_of(options)


def _operand(expr: Expr, bare_arith: bool = False) -> str:
    """``expr`` as an operand: bare when self-delimited (or arithmetic under a comparison,
    where YQL's precedence and SQLite's agree), else parenthesized."""
    if expr.kind == "atom" or (bare_arith and expr.kind == "arith"):
        return expr.text
    return f"({expr.text})"


@st.composite
def aggregates(draw: st.DrawFn) -> Expr:
    """An aggregate call over row expressions (never nested in another aggregate)."""
    kind = draw(st.sampled_from(["COUNT(*)", "COUNT", "SUM", "MIN", "MAX"]))
    if kind == "COUNT(*)":
        return Expr("COUNT(*)", MAX_ROWS, "atom", unsigned=True)
    argument = draw(int_expr(Scope(COLUMNS), depth=1))
    distinct = draw(st.sampled_from(["", "", "", "DISTINCT "]))
    call = f"{kind}({distinct}{argument.text})"
    if kind == "COUNT":
        return Expr(call, MAX_ROWS, "atom", unsigned=True)
    return Expr(call, argument.bound * (MAX_ROWS if kind == "SUM" else 1), "atom")


def _signed(expr: Expr) -> Expr:
    """``expr`` as an operand: a COUNT cast to Int64. YQL computes ``Uint64 op Int32`` in
    Uint64 (``COUNT(*) - 5`` wraps around, see the findings), SQLite in signed integers; a
    COUNT is drawn bare only as a whole output column."""
    if expr.unsigned:
        return Expr(f"CAST({expr.text} AS Int64)", expr.bound, "atom")
    return expr


INT_KINDS = [*["leaf"] * 4, *["binary"] * 4, "neg", "case", "simple_case", "coalesce", "abs"]


@st.composite
def int_expr(draw: st.DrawFn, scope: Scope, depth: int | None = None) -> Expr:
    """An integer expression (``NULL`` included) within ``LIMIT``."""
    depth = DEPTH if depth is None else depth
    kind = "leaf" if depth <= 0 else draw(st.sampled_from(INT_KINDS))
    if kind == "leaf":
        return draw(_leaf(scope))
    sub = int_expr(scope, depth - 1).map(_signed)
    if kind == "binary":
        left, right = draw(sub), draw(sub)
        op = draw(st.sampled_from(["+", "-", "*", "/", "%"]))
        bound = {
            "+": left.bound + right.bound,
            "-": left.bound + right.bound,
            "*": left.bound * right.bound,
        }.get(op, left.bound)
        if bound > LIMIT:
            return left
        # a left operand that is a sum reads the same bare under + and - (left associative)
        bare = (
            op in "+-" and left.kind == "arith" and " * " not in left.text and draw(st.booleans())
        )
        ltext = left.text if bare else _operand(left)
        return Expr(f"{ltext} {op} {_operand(right)}", bound, "arith")
    if kind == "neg":
        operand = draw(sub)
        text = _operand(operand)
        return Expr(f"-({text})" if text.startswith("-") else f"-{text}", operand.bound, "arith")
    if kind == "case":
        branches = draw(
            st.lists(st.tuples(bool_expr(scope, depth - 1), sub), min_size=1, max_size=3)
        )
        otherwise = draw(sub)
        text = " ".join(f"WHEN {c.text} THEN {v.text}" for c, v in branches)
        bound = max(otherwise.bound, *(v.bound for _, v in branches))
        return Expr(f"CASE {text} ELSE {otherwise.text} END", bound, "atom")
    if kind == "simple_case":
        subject = draw(sub)
        branches = draw(st.lists(st.tuples(sub, sub), min_size=1, max_size=3))
        otherwise = draw(sub)
        text = " ".join(f"WHEN {w.text} THEN {v.text}" for w, v in branches)
        bound = max(otherwise.bound, *(v.bound for _, v in branches))
        return Expr(f"CASE {subject.text} {text} ELSE {otherwise.text} END", bound, "atom")
    if kind == "coalesce":
        items = draw(st.lists(sub, min_size=2, max_size=3))
        text = f"COALESCE({', '.join(i.text for i in items)})"
        return Expr(text, max(i.bound for i in items), "atom")
    operand = draw(sub)
    return Expr(f"abs({operand.text})", operand.bound, "atom")


BOOL_LEAF_KINDS = ["compare", "compare", "is_null", "between", "in", "literal"]
BOOL_KINDS = [*BOOL_LEAF_KINDS, "and_or", "and_or", "not", "bool_compare"]


@st.composite
def bool_expr(draw: st.DrawFn, scope: Scope, depth: int | None = None) -> Expr:
    """A Bool expression (three-valued); compound Bool operands always parenthesized."""
    depth = DEPTH if depth is None else depth
    kind = draw(st.sampled_from(BOOL_KINDS if depth > 0 else BOOL_LEAF_KINDS))
    ints = int_expr(scope, max(depth - 1, 0)).map(_signed)
    bools = bool_expr(scope, depth - 1)
    bare = draw(st.booleans())
    if kind == "compare":
        op = draw(st.sampled_from(["<", "<=", "=", "==", "<>", "!=", ">", ">="]))
        return Expr(f"{_operand(draw(ints), bare)} {op} {_operand(draw(ints), bare)}")
    if kind == "is_null":
        operand = draw(st.one_of(ints, bools))
        negated = draw(st.sampled_from(["", "NOT "]))
        return Expr(f"{_operand(operand, bare)} IS {negated}NULL")
    if kind == "between":
        subject, low, high = (_operand(draw(ints), bare) for _ in range(3))
        negated = draw(st.sampled_from(["", "NOT "]))
        return Expr(f"{subject} {negated}BETWEEN {low} AND {high}")
    if kind == "in":
        subject = _operand(draw(ints), bare)
        items = draw(st.lists(st.integers(-20, 20), min_size=1, max_size=4))
        negated = draw(st.sampled_from(["", "NOT "]))
        return Expr(f"{subject} {negated}IN ({', '.join(map(str, items))})")
    if kind == "literal":
        return Expr(draw(st.sampled_from(["TRUE", "FALSE"])), kind="atom")
    if kind == "and_or":
        left, right = draw(bools), draw(bools)
        op = draw(st.sampled_from(["AND", "OR"]))
        return Expr(f"{_operand(left)} {op} {_operand(right)}")
    if kind == "not":
        return Expr(f"NOT ({draw(bools).text})")
    op = draw(st.sampled_from(["=", "<>", "<", ">="]))
    return Expr(f"{_operand(draw(bools))} {op} {_operand(draw(bools))}")


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query with ``{table}`` where the table goes; ``ordered`` when rows come in order."""

    template: str
    ordered: bool

    def text(self, table: str) -> str:
        return self.template.replace("{table}", table)


@st.composite
def queries(draw: st.DrawFn) -> Query:
    shape = draw(st.sampled_from(["rows", "rows", "aggregate", "group", "group"]))
    row_scope = Scope(COLUMNS)
    keys: list[str] = []
    if shape == "group":
        keys = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=2, unique=True))
    out_scope = row_scope if shape == "rows" else Scope(tuple(keys), aggregates=True)
    width = draw(st.integers(1, 3))
    outputs: list[str] = []
    for _ in range(width):
        kind = draw(st.sampled_from(["int", "int", "bool"]))
        expr = draw(int_expr(out_scope) if kind == "int" else bool_expr(out_scope))
        outputs.append(expr.text)
    if shape == "group" and draw(st.booleans()):
        outputs[0] = keys[0]  # the usual case: a group key as it is
    columns = [f"{text} AS c{i}" for i, text in enumerate(outputs)]
    distinct = "DISTINCT " if shape != "aggregate" and draw(st.integers(0, 3)) == 0 else ""
    sql = f"SELECT {distinct}{', '.join(columns)} FROM {{table}}"  # {table}: see Query.text
    if draw(st.booleans()):
        sql += f" WHERE {draw(bool_expr(row_scope)).text}"
    if shape == "group":
        sql += f" GROUP BY {', '.join(keys)}"
        if draw(st.booleans()):
            sql += f" HAVING {draw(bool_expr(out_scope)).text}"
    ordered = False
    if shape != "aggregate" and draw(st.booleans()):
        names = list(range(width))
        count = draw(st.integers(1, width))
        chosen = draw(st.permutations(names))[:count]
        terms = [f"c{i}{draw(st.sampled_from(['', ' ASC', ' DESC']))}" for i in chosen]
        sql += f" ORDER BY {', '.join(terms)}"
        ordered = count == width
        if ordered and draw(st.integers(0, 2)) == 0:  # ties are equal rows: LIMIT is exact
            sql += f" LIMIT {draw(st.integers(0, MAX_ROWS))}"
            if draw(st.booleans()):
                sql += f" OFFSET {draw(st.integers(0, MAX_ROWS))}"
    return Query(sql, ordered)


@st.composite
def tables(draw: st.DrawFn) -> list[dict[str, int | None]]:
    values = st.one_of(st.none(), st.integers(-20, 20))
    row = st.lists(values, min_size=len(COLUMNS), max_size=len(COLUMNS))
    rows: list[dict[str, int | None]] = [
        dict(zip(COLUMNS, drawn, strict=True))
        for drawn in draw(st.lists(row, min_size=1, max_size=MAX_ROWS))
    ]
    for column in COLUMNS:  # a column of NULLs only has no integer type (see the docstring)
        if all(row[column] is None for row in rows):
            rows[0][column] = draw(st.integers(-20, 20))
    return rows


# --- the check -----------------------------------------------------------------------------


def sqlite_answer(rows: list[dict[str, Any]], sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE TABLE t1 ({', '.join(f'{c} INTEGER' for c in COLUMNS)})")
        db.executemany(
            f"INSERT INTO t1 VALUES ({', '.join('?' for _ in COLUMNS)})",
            [tuple(row[c] for c in COLUMNS) for row in rows],
        )
        return db.execute(sql).fetchall()
    finally:
        db.close()


def check(rows: list[dict[str, Any]], batch: list[Query]) -> None:
    """Dev answers each query over ``rows`` as SQLite does (formatted as sqllogictest does)."""
    with tempfile.TemporaryDirectory(prefix="yql-fuzz-sqlite-") as tmp:
        dev = DevClient(Path(tmp))
        dev.write_table(TABLE, rows)
        for query in batch:
            mode = "nosort" if query.ordered else "rowsort"
            expected = answer(sqlite_answer(rows, query.text("t1")), mode)
            yql = query.text(f"`{TABLE}`")
            actual = answer([list(row.values()) for row in dev.run_yql(yql)], mode)
            assert actual == expected, f"{yql}\nrows: {rows}\ndev:    {actual}\nSQLite: {expected}"


# Each example is one table and QUERIES queries over it (writing the table costs about as much
# as running a query): the default run checks 30 queries, the slow one 2,100.
QUERIES = 3
batches = st.lists(queries(), min_size=QUERIES, max_size=QUERIES)


@FAST
@given(rows=tables(), batch=batches)
def test_dev_yql_answers_as_sqlite(rows: list[dict[str, Any]], batch: list[Query]) -> None:
    check(rows, batch)


@pytest.mark.slow
@SLOW
@given(rows=tables(), batch=batches)
def test_dev_yql_answers_as_sqlite_long(rows: list[dict[str, Any]], batch: list[Query]) -> None:
    check(rows, batch)
