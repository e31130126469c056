"""The AST node types the DuckDB generator is known to translate with YQL's meaning.

sqlglot parses more than YQL (DuckDB's and other dialects' syntax: ``a[1]``, ``DISTINCT
ON``, ``* REPLACE``, ``POSITIONAL JOIN``...), and DuckDB would run some of it with a meaning
YQL does not have (YQL indexes lists from 0). So a statement is checked against this list
before anything runs: a node outside it is refused by name, never passed through.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ytflow.errors import YqlError
from ytflow.yql.ast.nodes import (
    Curried,
    LambdaParam,
    NamedDefinition,
    Pragma,
    YqlCast,
    YqlLambda,
    position,
)

HINT = "dev runs a subset of YQL on DuckDB (see docs/yql.md); rewrite it, or run it in prod"

_ALLOWED: frozenset[type[exp.Expr]] = frozenset(
    {
        # statements
        exp.Select, exp.Union, exp.Insert, exp.Use, exp.Commit,
        NamedDefinition, Pragma,
        # clauses
        exp.From, exp.Join, exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered,
        exp.Limit, exp.Offset, exp.Subquery, exp.Table, exp.TableAlias, exp.Window,
        exp.WindowSpec, exp.Distinct,
        # values and names
        exp.Column, exp.Identifier, exp.Star, exp.Literal, exp.RawString, exp.Boolean,
        exp.Null, exp.Alias, exp.Paren, exp.Var, exp.Array,
        # operators
        exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Not, exp.Xor,
        exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.DPipe, exp.Like, exp.ILike,
        exp.Between, exp.In, exp.Is, exp.Exists, exp.Case, exp.If,
        exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot,
        exp.BitwiseLeftShift, exp.BitwiseRightShift,
        # calls and types
        exp.Anonymous, Curried, YqlCast, exp.Cast, exp.DataType, exp.Coalesce,
        YqlLambda, LambdaParam,
    }
)  # fmt: skip
_JOIN_KINDS = frozenset({"", "INNER", "OUTER", "CROSS"})
# YQL statements dev does not run, by their first word.
_STATEMENTS = {
    "DEFINE": "DEFINE ACTION / DEFINE SUBQUERY",
    "EVALUATE": "EVALUATE (FOR / IF)",
    "DO": "DO (actions)",
    "PROCESS": "PROCESS",
    "REDUCE": "REDUCE (the YQL statement; use run_reduce)",
    "DECLARE": "DECLARE (query parameters)",
    "IMPORT": "IMPORT of YQL modules",
    "EXPORT": "EXPORT",
    "UPSERT": "UPSERT INTO (dynamic tables)",
    "REPLACE": "REPLACE INTO (dynamic tables)",
    "DISCARD": "DISCARD",
    "CREATE": "CREATE TABLE",
    "DROP": "DROP TABLE",
    "ALTER": "ALTER TABLE",
}
_STARTS = frozenset({"USE", "PRAGMA", "COMMIT", "INSERT", "SELECT", "("})


def check_statement_start(word: str, line: int) -> None:
    """A statement begins with a word dev runs (or ``$name``), else it is refused by name:
    YQL's own statements dev cannot run, and anything else (DuckDB's ``COPY``, ``ATTACH``,
    ``SET``... reach files and settings; none of them is YQL)."""
    upper = word.upper()
    if upper in _STARTS or word.startswith("$"):
        return
    if upper in _STATEMENTS:
        raise YqlError(
            f"{_STATEMENTS[upper]} is not supported by the dev YQL engine", line=line, hint=HINT
        )
    raise YqlError(
        f"{upper} is not a YQL statement dev runs; dev refuses it",
        line=line,
        hint="a dev script holds USE, PRAGMA, $name = ..., INSERT INTO, SELECT and COMMIT",
    )


def check_supported(tree: exp.Expr, line: int) -> None:
    """Raise ``YqlError`` naming the first construct of ``tree`` dev does not translate."""
    for node in tree.walk():
        if type(node) not in _ALLOWED:
            _refuse(_name(node), node, line)
        if isinstance(node, exp.Join):
            kind = str(node.args.get("kind") or "").upper()
            method = str(node.args.get("method") or "").upper()
            if kind not in _JOIN_KINDS or method:
                _refuse(f"{method or kind} JOIN", node, line)
        elif isinstance(node, exp.Star) and (
            node.args.get("replace") or node.args.get("rename") or node.args.get("ilike")
        ):
            _refuse("SELECT * REPLACE / RENAME / ILIKE", node, line)
        elif isinstance(node, exp.Star) and node.args.get("except_") and not node.meta.get("yql"):
            _refuse("SELECT * EXCEPT / EXCLUDE (YQL writes SELECT * WITHOUT)", node, line)
        elif isinstance(node, exp.Distinct) and node.args.get("on"):
            _refuse("DISTINCT ON", node, line)
    _refuse_correlated(tree, line)


def _refuse_correlated(tree: exp.Expr, line: int) -> None:
    """A subquery naming a source of an enclosing query (``t1.b`` inside ``(SELECT ... FROM
    t1 AS x WHERE x.b < t1.b)``) is correlated: YQL has no correlated subqueries, so dev
    refuses what the cluster would (DuckDB would run it). An unqualified outer name cannot
    be told apart from the subquery's own columns without their schemas, and is not caught."""
    for select in tree.find_all(exp.Select):
        outer: set[str] = set()
        parent = select.parent
        while parent is not None:
            if isinstance(parent, exp.Select):
                outer |= _sources(parent)
            parent = parent.parent
        outer -= _sources(select)
        if not outer:
            continue
        for node in _own_nodes(select):
            if isinstance(node, exp.Column) and node.table in outer:
                _refuse(
                    f"a correlated subquery ({node.sql()} names the enclosing query's "
                    f"{node.table}; YQL has none: JOIN instead)",
                    node.args.get("table") or node,  # its column is the qualifier's
                    line,
                )


def _own_nodes(select: exp.Select) -> Iterator[exp.Expr]:
    """The nodes of ``select`` outside the queries nested in it."""
    return select.walk(prune=lambda node: isinstance(node, exp.Select) and node is not select)


def _sources(select: exp.Select) -> set[str]:
    """The names a query's own FROM and JOINs give their sources."""
    found: set[str] = set()
    joins: list[exp.Expr] = list(select.args.get("joins") or [])
    parts: list[exp.Expr | None] = [select.args.get("from_"), *joins]
    for part in parts:
        source = part.this if isinstance(part, (exp.From, exp.Join)) else None
        if isinstance(source, (exp.Table, exp.Subquery)) and source.alias_or_name:
            found.add(source.alias_or_name)
    return found


def _name(node: exp.Expr) -> str:
    names = {
        "Bracket": "indexing with [...] (YQL counts from 0)",
        "Dot": "a.b.c (member access)",
        "Array": "ARRAY[...]",
        "Struct": "a struct literal",
        "Filter": "FILTER (WHERE ...) on an aggregate",
        "GroupingSets": "GROUPING SETS",
        "Placeholder": "a ? placeholder",
        "NullSafeNEQ": "IS DISTINCT FROM",
        "NullSafeEQ": "IS NOT DISTINCT FROM",
        "Tuple": "a tuple (as GROUP BY () or (a, b) IN ...)",
        "Parameter": "a parameter",
        "Intersect": "INTERSECT",
        "Except": "EXCEPT",
        "Lambda": "a lambda",
        "Interval": "INTERVAL",
        "With": "WITH (common table expressions; YQL names subqueries with $name = ...)",
    }
    return names.get(type(node).__name__, type(node).__name__.upper())


def _refuse(shown: str, node: exp.Expr, line: int) -> None:
    at, column = position(node)
    where = f" (column {column})" if column else ""
    raise YqlError(
        f"{shown} is not supported by the dev YQL engine{where}", line=at or line, hint=HINT
    )
