"""Checks on a statement's tokens before sqlglot parses them: what the tokens alone show is
not YQL dev runs is refused by name (``FLATTEN BY``, ``GROUPING SETS``, DuckDB's ``ARRAY[``),
and YQL's lexical units sqlglot splits are joined (``Module::Function``, ``0x1F``)."""

from __future__ import annotations

from sqlglot.tokenizer_core import Token, TokenType

from ytflow.errors import YqlError
from ytflow.yql.ast.allowed import HINT
from ytflow.yql.ast.lambdas import BLOCK_SEMICOLON
from ytflow.yql.functions import BUILTINS, SPECIAL_BUILTINS

# Words refused wherever they stand as a word (a backticked name is a column, never these).
UNSUPPORTED_WORDS = {
    "FLATTEN": "FLATTEN BY",
    "ASSUME": "ASSUME ORDER BY",
    "SAMPLE": "SAMPLE",
    "TABLESAMPLE": "TABLESAMPLE",
    "MATCH_RECOGNIZE": "MATCH_RECOGNIZE",
    "EXCLUSION": "EXCLUSION JOIN",
    "ONLY": "LEFT/RIGHT ONLY JOIN",
    "SEMI": "LEFT/RIGHT SEMI JOIN",
    "REGEXP": "REGEXP",
    "RLIKE": "RLIKE",
    "MATCH": "MATCH",
    "ANY": "ANY join",
    "COMPACT": "COMPACT",
    "STREAM": "STREAM",
    "ROLLUP": "ROLLUP",
    "CUBE": "CUBE",
    "QUALIFY": "QUALIFY",
}
# Multi-word constructs: (first word, next word) -> name.
_UNSUPPORTED_PAIRS = {
    ("GROUPING", "SETS"): "GROUPING SETS",
    ("FILTER", "("): "FILTER (WHERE ...) on an aggregate",
    ("ARRAY", "["): "ARRAY[...] (YQL writes a list as [...] or AsList(...))",
}
_CALLABLE = frozenset(BUILTINS) | frozenset(SPECIAL_BUILTINS)
_UNSUPPORTED_SYMBOLS = {":=": ":="}


def error_at(message: str, token: Token, *, hint: str | None = HINT) -> YqlError:
    """A ``YqlError`` naming ``token``'s line and column."""
    column = max(token.col - len(token.text) + 1, 1)
    return YqlError(f"{message} (column {column})", line=token.line, hint=hint)


def _is_word(token: Token) -> bool:
    return token.token_type is not TokenType.IDENTIFIER and token.text.isidentifier()


def _adjacent(left: Token, right: Token) -> bool:
    return left.end + 1 == right.start


def check_tokens(raw: list[Token]) -> list[Token]:
    """Refuse what the tokens alone show is unsupported; join ``Module::Function`` into one
    name so the parser reads it as a call, and ``0x1F`` into one number."""
    _check_brackets(raw)
    out: list[Token] = []
    size = len(raw)
    index = 0
    braces = 0
    while index < size:
        token = raw[index]
        braces += (token.token_type is TokenType.L_BRACE) - (token.token_type is TokenType.R_BRACE)
        if braces and token.token_type is TokenType.SEMICOLON:  # sqlglot would split there
            token = _joined(BLOCK_SEMICOLON, token.text, token, token)
        following = raw[index + 1] if index + 1 < size else None
        kind = token.token_type
        if kind is TokenType.NUMBER:
            if following is not None and _adjacent(token, following) and _is_word(following):
                if token.text == "0" and following.text[:1] in "xX":
                    out.append(
                        _joined(
                            TokenType.NUMBER, str(int("0" + following.text, 16)), token, following
                        )
                    )
                    index += 2
                    continue
                raise error_at(
                    f"number literal {token.text + following.text!r} has an unknown type suffix",
                    token,
                    hint=None,
                )
        elif kind not in _PLAIN:
            _refuse(token, following)
            if following is not None and following.token_type is TokenType.DCOLON:
                function = raw[index + 2] if index + 2 < size else None
                if function is not None and _is_word(token) and _is_word(function):
                    name = f"{token.text}::{function.text}"
                    out.append(_joined(TokenType.VAR, name, token, function))
                    index += 3
                    continue
            if (
                kind is not TokenType.VAR
                and following is not None
                and following.token_type is TokenType.L_PAREN
                and token.text.upper() in _CALLABLE
            ):  # IF(...), LEFT(...): a call of YQL's function, not sqlglot's keyword
                token = _joined(TokenType.VAR, token.text, token, token)
        out.append(token)
        index += 1
    return out


# Tokens that never start a refused construct or a Module::Function name.
_PLAIN = frozenset(
    {TokenType.IDENTIFIER, TokenType.STRING, TokenType.COMMA, TokenType.L_PAREN,
     TokenType.R_PAREN, TokenType.DOT, TokenType.EQ, TokenType.SEMICOLON}
)  # fmt: skip


def _refuse(token: Token, following: Token | None) -> None:
    if token.token_type is TokenType.GROUPING_SETS:
        raise error_at("GROUPING SETS is not supported", token)
    text = token.text
    upper = text.upper()
    if upper in UNSUPPORTED_WORDS and _is_word(token):
        raise error_at(f"{UNSUPPORTED_WORDS[upper]} is not supported", token)
    if text in _UNSUPPORTED_SYMBOLS:
        raise error_at(f"{_UNSUPPORTED_SYMBOLS[text]} is not supported", token)
    if following is None:
        return
    pair = (upper, following.text.upper())
    if pair in _UNSUPPORTED_PAIRS:
        raise error_at(f"{_UNSUPPORTED_PAIRS[pair]} is not supported", token)
    symbol = text + following.text
    if symbol in _UNSUPPORTED_SYMBOLS and _adjacent(token, following):
        raise error_at(f"{_UNSUPPORTED_SYMBOLS[symbol]} is not supported", token)


def _joined(kind: TokenType, text: str, first: Token, last: Token) -> Token:
    return Token(kind, text, first.line, last.col, first.start, last.end)


def _check_brackets(raw: list[Token]) -> None:
    opened: list[Token] = []
    for token in raw:
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE):
            opened.append(token)
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE):
            if not opened:
                raise error_at("unbalanced parentheses", token, hint=None)
            opened.pop()
    if opened:
        raise error_at("unbalanced parentheses", opened[-1], hint=None)
