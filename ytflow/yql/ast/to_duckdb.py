"""YQL script -> DuckDB SQL through the sqlglot AST: one statement at a time, each construct
translated once, identifiers always quoted.

``AstTranslator(tables).script(text)`` parses the script with the YQL dialect, resolves
``$named`` expressions and subqueries (the latter become CTEs), hands each backticked table
path to ``tables(path, line)`` for the SQL that reads it (the dev engine's ``read_json(...)``),
inlines ``$lambda(...)`` calls (``lambdas.py``), applies YQL's scoped rules (``scopes.py``)
and generates DuckDB SQL (``generator.py``). The SQL relies on the connection having run
``SESSION_SQL`` (``arithmetic.py``: integer division, NULL order, the macros it calls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from ytflow.errors import YqlError
from ytflow.yql.ast.allowed import HINT, check_statement_start, check_supported
from ytflow.yql.ast.dialect import Yql, YqlParser
from ytflow.yql.ast.generator import YqlGenerator
from ytflow.yql.ast.lambdas import inline
from ytflow.yql.ast.lexical import unclosed
from ytflow.yql.ast.nodes import (
    NamedDefinition,
    Pragma,
    RawSql,
    YqlLambda,
    position,
)
from ytflow.yql.ast.scopes import rewrite_scopes
from ytflow.yql.ast.token_checks import error_at

Kind = Literal["select", "insert", "pragma", "use", "commit"]
_DIALECT = Yql()


@dataclass
class AstStatement:
    """One statement of a script, translated."""

    kind: Kind
    line: int
    sql: str = ""
    tables: list[str] = field(default_factory=list[str])
    target: str | None = None
    truncate: bool = False
    pragma: str | None = None


class AstTranslator:
    """Translates the statements of one script; ``$named`` definitions accumulate."""

    def __init__(self, tables: Callable[[str, int], str]) -> None:
        self._tables = tables
        self.named: dict[str, exp.Expr] = {}
        # PRAGMA AnsiInForEmptyOrNullableItemsCollections: IN over a list holding NULL is
        # NULL when nothing matches (SQL's rule); without it YQL answers false.
        self.ansi_in = False
        try:
            self._parser = YqlParser(dialect=_DIALECT)
            self._generator = YqlGenerator(identify=True, dialect="duckdb")
        except TypeError as error:  # sqlglotc: "interpreted classes cannot inherit from compiled"
            raise YqlError(
                f"dev's YQL dialect cannot extend this sqlglot build ({error})",
                hint="sqlglot's compiled build (the sqlglotc package, sqlglot[c]) refuses "
                "subclasses; uninstall sqlglotc to run YQL in dev",
            ) from None

    def script(self, text: str) -> list[AstStatement]:
        """Every statement of ``text`` except ``$name = ...;`` definitions, translated."""
        return list(self.statements(text))

    def statements(self, text: str) -> Iterator[AstStatement]:
        """``script`` one statement at a time: a runner translates each only when the ones
        before it have run, so a table an earlier ``INSERT`` wrote is read as it now is."""
        try:
            tokens = _DIALECT.tokenize(text)
        except TokenError:
            raise unclosed(text) from None
        for chunk in _statements(tokens):
            line = chunk[0].line
            check_statement_start(chunk[0].text, line)
            tree = _parse(self._parser, chunk, text)
            check_supported(tree, line)
            if isinstance(tree, NamedDefinition):
                self.named[tree.name] = tree.expression
            elif isinstance(tree, Pragma):
                if tree.name.upper() == "ANSIINFOREMPTYORNULLABLEITEMSCOLLECTIONS":
                    self.ansi_in = True
                yield AstStatement("pragma", line, pragma=tree.name)
            elif isinstance(tree, exp.Use):
                yield AstStatement("use", line)
            elif isinstance(tree, exp.Commit):
                yield AstStatement("commit", line)
            elif isinstance(tree, exp.Insert):
                target = _path(tree.this, line)
                statement = self.query(tree.expression, line)
                statement.kind, statement.target = "insert", target
                statement.truncate = bool(tree.args.get("overwrite"))
                yield statement
            elif isinstance(tree, exp.Query):
                yield self.query(tree, line)
            else:
                shown = chunk[0].text.upper()
                raise error_at(f"{shown} statements are not supported", chunk[0])

    def query(self, tree: exp.Expr, line: int) -> AstStatement:
        """DuckDB SQL for one query, with the CTEs of the named subqueries it reads."""
        state = _State(line)
        body = self._resolve(tree, state)  # a fresh parse: no copy needed
        rewrite_scopes(body)
        if state.ctes and isinstance(body, exp.Query):
            for name, cte in state.ctes.items():
                body = body.with_(exp.to_identifier(f"q_{name}", quoted=True), as_=cte, copy=False)
        if not self.ansi_in:
            body = body.transform(_yql_in, copy=False)
        sql = self._generator.generate(body, copy=False)
        return AstStatement("select", line, sql, state.tables)

    def _resolve(self, tree: exp.Expr, state: _State) -> exp.Expr:
        """Named references and table paths, replaced everywhere in ``tree``."""

        def visit(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Table):
                return self._table(node, state)
            if isinstance(node, exp.In) and _named(node.args.get("field")):
                return self._in_named(node, state)
            if isinstance(node, exp.Column) and _named(node):
                return self._scalar(node.name[1:], state, _line(node, state.line))
            if isinstance(node, exp.Anonymous) and node.name.startswith("$"):
                return self._call(node, state)
            return node

        return tree.transform(visit, copy=False)

    def _table(self, table: exp.Table, state: _State) -> exp.Expr:
        name = table.this
        alias = table.args.get("alias")
        if isinstance(name, exp.Identifier) and not name.quoted and name.name.startswith("$"):
            named = name.name[1:]
            self._cte(named, state, _line(name, state.line))
            return exp.Table(this=exp.to_identifier(f"q_{named}", quoted=True), alias=alias)
        line = _line(table, state.line)
        path = _path(table, line)
        state.tables.append(path)
        return RawSql(this=self._tables(path, line), alias=alias)

    def _cte(self, name: str, state: _State, line: int) -> None:
        if name in state.ctes:
            return
        query = self._definition(name, line)
        if not isinstance(query, exp.Query):
            raise YqlError(
                f"${name} is not a subquery and cannot be read as a table", line=state.line
            )
        resolved = self._resolve(query.copy(), state)
        state.ctes[name] = rewrite_scopes(resolved)

    def _definition(self, name: str, line: int) -> exp.Expr:
        if name not in self.named:
            raise YqlError(f"${name} is used before it is defined", line=line)
        return self.named[name]

    def _scalar(self, name: str, state: _State, line: int) -> exp.Expr:
        value = self._definition(name, line)
        if isinstance(value, exp.Query):
            self._cte(name, state, line)
            return exp.Subquery(this=_select_all(name))
        if isinstance(value, YqlLambda):  # passed to a list function
            return self._resolve(value.copy(), state)
        return exp.Paren(this=self._resolve(value.copy(), state))

    def _call(self, node: exp.Anonymous, state: _State) -> exp.Expr:
        """``$f(args)``: the named lambda's body, its parameters bound to ``args``."""
        name, line = node.name[1:], _line(node, state.line)
        function = self._definition(name, line)
        if not isinstance(function, YqlLambda):
            raise YqlError(f"${name} is not a lambda and cannot be called", line=line)
        return self._resolve(inline(function, list(node.expressions), name, line), state)

    def _in_named(self, node: exp.In, state: _State) -> exp.Expr:
        field_ = node.args["field"]
        name, line = field_.name[1:], _line(field_, state.line)
        value = self._definition(name, line)
        if isinstance(value, exp.Query):
            self._cte(name, state, line)
            query: exp.Expr = _select_all(name)
        else:
            items = self._resolve(value.copy(), state)
            query = exp.select(exp.Anonymous(this="unnest", expressions=[items]))
        this = self._resolve(node.this, state)
        return exp.In(this=this, query=exp.Subquery(this=query))


def _yql_in(node: exp.Expr) -> exp.Expr:
    """``x IN (a, b, NULL)`` without YQL's ANSI pragma: false, not NULL, when nothing matches
    and ``x`` is not NULL (so ``x NOT IN (3, NULL)`` keeps the rows that are not 3)."""
    if not isinstance(node, exp.In) or not node.expressions:
        return node
    value = node.this
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null())],
        default=exp.Coalesce(this=node, expressions=[exp.false()]),
    )


@dataclass
class _State:
    line: int
    tables: list[str] = field(default_factory=list[str])
    ctes: dict[str, exp.Expr] = field(default_factory=dict[str, exp.Expr])


def _line(node: exp.Expr, default: int) -> int:
    """The line a node was read from, else the statement's."""
    return position(node)[0] or default


def _select_all(name: str) -> exp.Select:
    return exp.select(exp.Star()).from_(exp.to_identifier(f"q_{name}", quoted=True))


def _named(node: Any) -> bool:
    return (
        isinstance(node, exp.Column)
        and not node.table
        and not node.this.quoted
        and node.name.startswith("$")
    )


def _path(table: exp.Expr, line: int) -> str:
    """A table's path: a backticked name (a ``cluster.`` prefix means nothing in dev)."""
    name = table.this if isinstance(table, exp.Table) else None
    if isinstance(name, exp.Identifier) and name.quoted and not table.args.get("catalog"):
        path = name.name
        return path if path.startswith("//") else "//" + path
    shown = table.sql()
    raise YqlError(
        f"{shown} is not a table: dev reads a backquoted table path (`//home/p/t`), a $named "
        "subquery or a (SELECT ...)",
        line=line,
        hint=HINT,
    )


_OPENING = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE})
_CLOSING = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE})


def _statements(tokens: list[Token]) -> list[list[Token]]:
    """The script split at its top-level semicolons (a lambda's ``{ ...; }`` body stays in
    its statement, which is then refused by name, not as unbalanced brackets)."""
    chunks: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.token_type in _OPENING:
            depth += 1
        elif token.token_type in _CLOSING:
            depth = max(depth - 1, 0)
        if token.token_type is TokenType.SEMICOLON and depth == 0:
            chunks.append([])
        else:
            chunks[-1].append(token)
    return [chunk for chunk in chunks if chunk]


def _parse(parser: YqlParser, chunk: list[Token], text: str) -> exp.Expr:
    for token in chunk:
        if token.token_type is TokenType.HASH:  # no YQL token: sqlglot would only say where
            raise error_at("unexpected character '#'", token, hint=None)
    try:
        trees = parser.parse(chunk, text)
    except ParseError as error:
        detail = error.errors[0] if error.errors else {}
        line = int(detail.get("line") or chunk[0].line)
        message = str(detail.get("description") or error).splitlines()[0]
        column = detail.get("col")
        raise YqlError(
            f"YQL syntax not understood: {message} (column {column})", line=line
        ) from None
    if not trees or trees[0] is None:
        raise error_at("empty statement", chunk[0], hint=None)
    return trees[0]
