"""A YQL dialect for sqlglot: YQL text in, a sqlglot AST with YQL's constructs out.

Why a dialect and not token rewriting: scopes (a ``GROUP BY x AS k`` alias, a subquery's own
columns) exist only in a tree. The tokenizer knows YQL's lexical rules (backtick names,
``"double quotes"`` are strings, ``@@raw@@``, ``1u``); the parser adds YQL's statements
(``$name = ...;``, ``PRAGMA``, ``INSERT ... WITH TRUNCATE``) and clauses (``WITHOUT``,
``GROUP BY expr AS name``, ``Module::Function(...)(...)``, ``CAST(x AS Int64)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp, parser, tokens
from sqlglot.dialects.dialect import Dialect
from sqlglot.generators.duckdb import DuckDBGenerator
from sqlglot.tokenizer_core import Token, TokenType

from ytflow.yql.ast.lambdas import LambdaParsing
from ytflow.yql.ast.nodes import Curried, NamedDefinition, Pragma, YqlCast
from ytflow.yql.ast.token_checks import check_tokens, error_at
from ytflow.yql.functions import INTEGER_TYPES, TYPES

# YQL integer literal suffixes -> the DuckDB type keyword the tokenizer casts the number to.
_SUFFIXES = {
    "T": "TINYINT",
    "S": "SMALLINT",
    "L": "BIGINT",
    "U": "UINTEGER",
    "UT": "UTINYINT",
    "US": "USMALLINT",
    "UL": "UBIGINT",
    "LU": "UBIGINT",
    "F": "FLOAT",
}


class YqlTokenizer(tokens.Tokenizer):
    """YQL's lexical rules on sqlglot's tokenizer."""

    QUOTES: ClassVar[list[str | tuple[str, str]]] = ["'", '"']
    RAW_STRINGS: ClassVar[list[str | tuple[str, str]]] = [("@@", "@@")]
    IDENTIFIERS: ClassVar[list[str | tuple[str, str]]] = ["`"]
    IDENTIFIER_ESCAPES: ClassVar[list[str]] = ["\\", "`"]
    STRING_ESCAPES: ClassVar[list[str]] = ["\\"]
    STRING_ESCAPES_ALLOWED_IN_RAW_STRINGS = False
    NUMERIC_LITERALS: ClassVar[dict[str, str]] = _SUFFIXES
    KEYWORDS: ClassVar[dict[str, TokenType]] = {
        **tokens.Tokenizer.KEYWORDS,
        "==": TokenType.EQ,
        "UTINYINT": TokenType.UTINYINT,
        "USMALLINT": TokenType.USMALLINT,
        "UINTEGER": TokenType.UINT,
        "UBIGINT": TokenType.UBIGINT,
        "PRAGMA": TokenType.PRAGMA,
    }


def _by_name(method: str) -> Callable[[object], exp.Expr | None]:
    """A parser method by name: the parse tables are built before the class exists."""

    def call(parser_: object) -> exp.Expr | None:
        result: exp.Expr | None = getattr(parser_, method)()
        return result

    return call


class YqlParser(LambdaParsing, parser.Parser):
    """sqlglot's parser with YQL's statements and clauses; every other function call stays an
    ``Anonymous`` node under its YQL name, so the generator decides what it means."""

    FUNCTIONS: ClassVar[dict[str, Any]] = {}
    FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {
        "CAST": _by_name("_parse_yql_cast"),
        "BITCAST": _by_name("_parse_yql_bitcast"),
    }
    NO_PAREN_FUNCTIONS: ClassVar[dict[TokenType, Any]] = {}
    NO_PAREN_FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {
        "CASE": _by_name("_parse_case"),
    }
    # YQL's NOT is a unary operator like - and ~: ``NOT x IS NULL`` is ``(NOT x) IS NULL`` and
    # ``NOT a < b`` is ``(NOT a) < b`` (SQL reads both as NOT of the whole comparison).
    UNARY_PARSERS: ClassVar[dict[TokenType, Any]] = {
        **parser.Parser.UNARY_PARSERS,
        TokenType.NOT: _by_name("_parse_yql_not"),
    }
    STATEMENT_PARSERS: ClassVar[dict[TokenType, Any]] = {
        **parser.Parser.STATEMENT_PARSERS,
        TokenType.PRAGMA: _by_name("_parse_yql_pragma"),
        TokenType.INSERT: _by_name("_parse_yql_insert"),
    }

    def _current(self) -> Token | None:
        """The current token, or None at the end (where sqlglot has a sentinel token)."""
        return None if self._curr.token_type is TokenType.SENTINEL else self._curr

    def _following(self) -> Token | None:
        return None if self._next.token_type is TokenType.SENTINEL else self._next

    def parse(self, raw_tokens: list[Token], sql: str) -> list[exp.Expr | None]:
        return super().parse(check_tokens(raw_tokens), sql)

    def _parse_statement(self) -> exp.Expr | None:
        current, following = self._current(), self._following()
        if (
            current is not None
            and current.text.startswith("$")
            and following is not None
            and following.token_type is TokenType.EQ
        ):
            self._advance()
            return self._parse_named_definition(current)
        return super()._parse_statement()

    def _parse_yql_not(self) -> exp.Expr:
        return self.expression(exp.Not(this=self._parse_unary()))

    def _parse_lambda(self, alias: bool = False) -> exp.Expr | None:
        if self._lambda_ahead():
            return self._parse_yql_lambda()
        return super()._parse_lambda(alias)

    def _parse_disjunction(self) -> exp.Expr | None:
        """``a ?? b`` (YQL's COALESCE) binds more loosely than OR."""
        this = super()._parse_disjunction()
        while this is not None and self._match(TokenType.DQMARK):
            other = super()._parse_disjunction()
            if other is None:
                raise error_at("?? needs a value on its right", self._prev, hint=None)
            this = exp.Coalesce(this=this, expressions=[other])
        return this

    def _parse_function(
        self,
        functions: dict[str, Any] | None = None,
        anonymous: bool = False,
        optional_parens: bool = True,
        any_token: bool = False,
    ) -> exp.Expr | None:
        start = self._current()
        result = super()._parse_function(functions, anonymous, optional_parens, any_token)
        if isinstance(result, exp.Anonymous) and start is not None:
            result.meta["line"] = start.line
            result.meta["column"] = max(start.col - len(start.text) + 1, 1)
        return result

    def _parse_table_parts(self, *args: Any, **kwargs: Any) -> exp.Table | exp.Dot | None:
        self._refuse_string_table()
        return super()._parse_table_parts(*args, **kwargs)

    def _parse_table_parts_fast(self) -> exp.Table | None:
        self._refuse_string_table()
        return super()._parse_table_parts_fast()

    def _refuse_string_table(self) -> None:
        current = self._current()
        if current is not None and current.token_type is TokenType.STRING:
            raise error_at(f"a string ({current.text!r}) is not a table", current)

    def _parse_named_definition(self, start: Token) -> exp.Expr:
        self._advance()  # the =
        if self._lambda_ahead():
            lambda_ = self._parse_yql_lambda()
            return NamedDefinition(this=start.text[1:], expression=lambda_, line=start.line)
        value = self._parse_select() or self._parse_expression()
        if value is None:
            raise error_at(f"{start.text} is defined as nothing", start, hint=None)
        if isinstance(value, exp.Subquery) and isinstance(value.this, exp.Query):
            value = value.this
        return NamedDefinition(this=start.text[1:], expression=value, line=start.line)

    def _parse_yql_pragma(self) -> exp.Expr:
        start = self._prev
        parts: list[str] = []
        current = self._current()
        while current is not None and current.token_type is not TokenType.SEMICOLON:
            parts.append(current.text)
            self._advance()
            current = self._current()
        text = "".join(parts)
        return Pragma(this=text.split("=")[0].split("(")[0], line=start.line)

    def _parse_yql_insert(self) -> exp.Expr:
        start = self._prev
        if not self._match(TokenType.INTO):
            raise error_at("expected INSERT INTO", start)
        following = self._following()
        if following is not None and following.token_type is TokenType.L_PAREN:
            raise error_at("INSERT INTO with a column list is not supported", start)
        table = self._parse_table_parts()
        truncate = False
        if self._match(TokenType.WITH):
            hint = self._current()
            if hint is None or hint.text.upper() != "TRUNCATE":
                shown = hint.text.upper() if hint is not None else ""
                raise error_at(f"INSERT INTO ... WITH {shown} is not supported", start)
            self._advance()
            truncate = True
        query = self._parse_select()
        if query is None:
            raise error_at("expected SELECT after INSERT INTO", start, hint=None)
        return exp.Insert(this=table, expression=query, overwrite=truncate)

    def _parse_yql_cast(self) -> exp.Expr:
        start = self._prev
        value = self._parse_disjunction()
        if not self._match(TokenType.ALIAS):
            raise error_at("expected CAST(value AS Type)", start, hint=None)
        words: list[str] = []
        depth = 0
        current = self._current()
        while current is not None and (depth or current.token_type is not TokenType.R_PAREN):
            depth += current.token_type is TokenType.L_PAREN
            depth -= current.token_type is TokenType.R_PAREN
            if current.text != "?":
                words.append(current.text)
            self._advance()
            current = self._current()
        shown = "".join(words)
        if not words:
            raise error_at("expected CAST(value AS Type)", start, hint=None)
        if shown.upper() not in TYPES:
            supported = ", ".join(sorted(name.title() for name in TYPES))
            raise error_at(
                f"CAST to {shown} is not supported (supported: {supported})", start, hint=None
            )
        return YqlCast(this=value, to=shown.upper())

    def _parse_yql_bitcast(self) -> exp.Expr:
        """``BITCAST(x AS IntN/UintN)``: the low bits of an integer, read as the target."""
        start = self._prev
        cast = self._parse_yql_cast()
        target = str(cast.args["to"])
        if target not in INTEGER_TYPES:
            raise error_at(
                f"BITCAST to {target.title()} is not supported (only to integer types)",
                start,
                hint=None,
            )
        cast.set("bits", True)
        return cast

    def _parse_star_ops(self) -> exp.Expr | None:
        if self._match_text_seq("WITHOUT"):
            start = self._prev
            names = self._parse_csv(self._parse_id_var)
            if not names:
                raise error_at("SELECT * WITHOUT needs column names", start, hint=None)
            star = exp.Star(except_=[exp.column(name) for name in names])
            star.meta["yql"] = True  # WITHOUT, not another dialect's EXCEPT / EXCLUDE
            return star
        return super()._parse_star_ops()

    def _parse_group(self, skip_group_by_token: bool = False) -> exp.Group | None:
        if not skip_group_by_token and not self._match(TokenType.GROUP_BY):
            return None
        items = self._parse_csv(lambda: self._parse_alias(self._parse_disjunction(), explicit=True))
        return exp.Group(expressions=items)

    def _parse_column_ops(self, this: exp.Expr | None) -> exp.Expr | None:
        this = super()._parse_column_ops(this)
        if (
            isinstance(this, exp.Anonymous)
            and "::" in this.name
            and self._match(TokenType.L_PAREN, advance=False)
        ):
            self._advance()
            values = self._parse_csv(self._parse_disjunction)
            self._match_r_paren()
            return Curried(this=this, expressions=values)
        return this


class Yql(Dialect):
    """YQL as sqlglot reads it; generating falls back to DuckDB's SQL (see ``to_duckdb``)."""

    Tokenizer = YqlTokenizer
    Parser = YqlParser
    Generator = DuckDBGenerator
