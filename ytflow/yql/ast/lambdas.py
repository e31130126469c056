"""YQL lambdas: ``($x, $y?) -> (expr)`` and ``($x) -> { $a = ...; RETURN expr; }``.

The parser reads a lambda into a ``YqlLambda`` whose parameters are ``LambdaParam`` nodes, so
the translator never mistakes ``$x`` for a named expression of the script. Names bound in a
block (``$a = ...;``) are substituted into what follows them at parse time, leaving one
expression. A named lambda called as ``$f(args)`` is inlined by the translator (``inline``);
a lambda passed to a list function (``ListMap``, ``ListFilter``, ``ListFold``...) becomes a
DuckDB lambda.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.tokenizer_core import Token, TokenType

from ytflow.errors import YqlError
from ytflow.yql.ast.nodes import LambdaParam, YqlLambda

# What the dialect makes of a ';' inside a lambda's { ... } block.
BLOCK_SEMICOLON = TokenType.BLOCK_END


class LambdaParsing:
    """Parser methods for YQL lambdas (mixed into ``YqlParser``, which is a sqlglot parser)."""

    if TYPE_CHECKING:  # sqlglot's parser, which this is always mixed into, has these
        _index: int
        _tokens: list[Token]
        _curr: Token
        _next: Token
        _prev: Token

        def _advance(self, times: int = 1) -> None: ...
        def _match(
            self, token_type: TokenType, advance: bool = True, expression: exp.Expr | None = None
        ) -> bool: ...
        def _parse_disjunction(self) -> exp.Expr | None: ...

    def _lambda_ahead(self) -> bool:
        """Whether the tokens from here read ``( $a [?], ... ) ->``."""
        tokens, at = self._tokens, self._index
        if at >= len(tokens) or tokens[at].token_type is not TokenType.L_PAREN:
            return False
        at += 1
        while at < len(tokens) and tokens[at].text.startswith("$"):
            at += 1
            if at < len(tokens) and tokens[at].token_type is TokenType.PLACEHOLDER:
                at += 1
            if at < len(tokens) and tokens[at].token_type is TokenType.COMMA:
                at += 1
        return (
            at + 1 < len(tokens)
            and tokens[at].token_type is TokenType.R_PAREN
            and tokens[at + 1].token_type is TokenType.ARROW
        )

    def _parse_yql_lambda(self) -> YqlLambda:
        """The lambda at the current token (``_lambda_ahead`` said there is one)."""
        parser = self
        parser._advance()  # (
        params: list[str] = []
        optional = 0
        while not parser._match(TokenType.R_PAREN):
            params.append(parser._curr.text[1:])
            parser._advance()
            if parser._match(TokenType.PLACEHOLDER):
                optional += 1
            elif optional:
                raise _error("a required lambda parameter follows an optional one", parser._prev)
            parser._match(TokenType.COMMA)
        arrow = parser._curr
        parser._advance()  # ->
        bound: dict[str, exp.Expr] = {name: LambdaParam(this=name) for name in params}
        body = self._lambda_block(bound, arrow) if parser._match(TokenType.L_BRACE) else None
        if body is None:
            body = _substitute(_required(parser._parse_disjunction(), arrow), bound)
        return YqlLambda(
            this=body, params=[exp.Var(this=name) for name in params], optional=optional
        )

    def _lambda_block(self, bound: dict[str, exp.Expr], start: Token) -> exp.Expr:
        """``{ $a = ...; RETURN expr; }`` as one expression."""
        parser = self
        while True:
            current = parser._curr
            if current.text.startswith("$") and parser._next.token_type is TokenType.EQ:
                parser._advance(2)
                value = _required(parser._parse_disjunction(), current)
                bound[current.text[1:]] = exp.Paren(this=_substitute(value, bound))
                parser._match(BLOCK_SEMICOLON)
            elif current.text.upper() == "RETURN":
                parser._advance()
                body = _substitute(_required(parser._parse_disjunction(), current), bound)
                parser._match(BLOCK_SEMICOLON)
                if not parser._match(TokenType.R_BRACE):
                    raise _error("a lambda's { ... } block ends after RETURN", parser._curr)
                return body
            else:
                raise _error("a lambda's { ... } block holds $name = ...; and RETURN", start)


def inline(function: YqlLambda, args: list[exp.Expr], name: str, line: int) -> exp.Expr:
    """``$name(args)``: the lambda's body with its parameters replaced by ``args`` (a missing
    optional one by NULL)."""
    params = [param.name for param in function.args["params"]]
    required = len(params) - int(function.args.get("optional") or 0)
    if not required <= len(args) <= len(params):
        wanted = f"{required}" if required == len(params) else f"{required} to {len(params)}"
        raise YqlError(f"${name} takes {wanted} argument(s), got {len(args)}", line=line)
    values: dict[str, exp.Expr] = {param: exp.Null() for param in params}
    values.update({param: exp.Paren(this=arg) for param, arg in zip(params, args, strict=False)})

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, LambdaParam) and node.name in values:
            return values[node.name].copy()
        return node

    return exp.Paren(this=function.this.copy().transform(replace, copy=False))


def _substitute(tree: exp.Expr, bound: dict[str, exp.Expr]) -> exp.Expr:
    """``tree`` with each ``$name`` column bound in the lambda replaced by its value."""

    def replace(node: exp.Expr) -> exp.Expr:
        if (
            isinstance(node, exp.Column)
            and not node.table
            and not node.this.quoted
            and node.name.startswith("$")
            and node.name[1:] in bound
        ):
            return bound[node.name[1:]].copy()
        return node

    return tree.transform(replace, copy=False)


def _required(value: exp.Expr | None, token: Token) -> exp.Expr:
    if value is None:
        raise _error("expected an expression", token)
    return value


def _error(message: str, token: Token) -> YqlError:
    column = max(token.col - len(token.text) + 1, 1)
    return YqlError(f"{message} (column {column})", line=token.line)
