"""Translating YQL queries to DuckDB SQL, token by token, refusing what it cannot translate.

Table paths become whatever the caller's ``tables`` callback returns (the dev engine returns
a ``read_json(...)`` over the table's JSONL with explicit column types); ``$named``
subqueries become CTEs, named scalars are inlined; YQL spellings (``==``, double-quoted
strings, ``Module::Function``, ``IF``, ``CAST(x AS Int64)``, ``SELECT * WITHOUT``,
``GROUP BY expr AS key``) become DuckDB's. Anything else that is YQL-only raises
``YqlError`` naming the construct and its line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ytflow.errors import YqlError
from ytflow.yql.functions import (
    BUILTINS,
    CURRIED_FUNCTIONS,
    MODULE_FUNCTIONS,
    NUMBER_SUFFIXES,
    SPECIAL_BUILTINS,
    TYPES,
    cast,
)
from ytflow.yql.rewrite import closing, inline_group_aliases, split_arguments
from ytflow.yql.script import table_path
from ytflow.yql.tokens import Kind, Token

_UNSUPPORTED_WORDS = {
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
}
_UNSUPPORTED_SYMBOLS = {"??": "the ?? operator", "->": "a lambda (->)", ":=": ":="}
_TABLE_POSITION = ("FROM", "JOIN")
# Words that end a FROM clause: a backticked name after one of them is a column.
_CLAUSE_WORDS = frozenset(
    ("SELECT", "WHERE", "ON", "USING", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "WITHOUT")
)
# Words that may stand before "(" without being a function call.
_KEYWORDS = {
    "ALL",
    "AND",
    "AS",
    "BETWEEN",
    "BY",
    "DISTINCT",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "FROM",
    "HAVING",
    "IN",
    "INTERSECT",
    "IS",
    "JOIN",
    "LIKE",
    "NOT",
    "ON",
    "OR",
    "OVER",
    "SELECT",
    "THEN",
    "UNION",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WINDOW",
    "XOR",
    "CASE",
    "LIMIT",
    "OFFSET",
    "PARTITION",
    "ROWS",
    "RANGE",
    "ESCAPE",
    "ILIKE",
}
_HINT = "dev runs a subset of YQL on DuckDB (see docs/yql.md); rewrite it, or run it in prod"


@dataclass
class Named:
    """A ``$name = ...;`` definition."""

    name: str
    tokens: list[Token]
    line: int

    @property
    def is_query(self) -> bool:
        """True for a subquery (``$q = SELECT ...``), false for a scalar expression."""
        body = self.tokens[1:] if self.tokens and self.tokens[0].is_symbol("(") else self.tokens
        return bool(body) and body[0].is_word("SELECT")


@dataclass
class Translation:
    """DuckDB SQL for one query, and the tables it reads."""

    sql: str
    tables: list[str] = field(default_factory=list[str])


class Translator:
    """Translates the queries of one script; ``$named`` definitions accumulate across them."""

    def __init__(self, tables: Callable[[str, int], str]) -> None:
        self._tables = tables
        self.named: dict[str, Named] = {}

    def define(self, name: str, tokens: list[Token], line: int) -> None:
        """Record ``$name = tokens;``."""
        if not tokens:
            raise YqlError(f"${name} is defined as nothing", line=line)
        self.named[name] = Named(name, tokens, line)

    def query(self, tokens: Sequence[Token]) -> Translation:
        """Translate one query (``SELECT ...``) into SQL with the CTEs it needs."""
        state = _State()
        body = self._scope(list(tokens), state)
        ctes = [f'"q_{name}" AS ({sql})' for name, sql in state.ctes.items()]
        sql = f"WITH {', '.join(ctes)} {body}" if ctes else body
        return Translation(sql, state.tables)

    def _scope(self, tokens: list[Token], state: _State) -> str:
        """One SELECT scope: resolve ``GROUP BY expr AS key`` aliases, then translate."""
        return self._tokens(inline_group_aliases(tokens), state)

    def _tokens(self, tokens: list[Token], state: _State) -> str:
        out: list[str] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            previous = tokens[index - 1] if index else None
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            in_table_position = previous is not None and previous.is_word(*_TABLE_POSITION)
            if token.kind is Kind.QUOTED:
                if in_table_position or _in_from_list(tokens, index):
                    out.append(self._table(token, state))
                else:
                    out.append(_identifier(token.value))
            elif (
                token.kind in (Kind.WORD, Kind.QUOTED)
                and in_table_position
                and following is not None
                and following.is_symbol(".")
                and index + 2 < len(tokens)
                and tokens[index + 2].kind is Kind.QUOTED
            ):
                index += 2  # cluster.`//path`: the cluster prefix means nothing in dev
                out.append(self._table(tokens[index], state))
            elif token.kind is Kind.STRING:
                out.append(_string(token.value))
            elif token.kind is Kind.NUMBER:
                out.append(_number(token))
            elif token.kind is Kind.PARAM:
                after_in = previous is not None and previous.is_word("IN")
                out.append(
                    self._named(
                        token, state, in_table_position=in_table_position, after_in=after_in
                    )
                )
            elif token.kind is Kind.SYMBOL:
                index = self._symbol(tokens, index, out, state)
                continue
            else:
                index = self._word(tokens, index, out, state)
                continue
            index += 1
        return _join(out)

    def _symbol(self, tokens: list[Token], index: int, out: list[str], state: _State) -> int:
        token = tokens[index]
        if token.text in _UNSUPPORTED_SYMBOLS:
            raise _unsupported_symbol(token)
        if token.is_symbol("("):
            end = closing(tokens, index)
            inner = tokens[index + 1 : end]
            if inner and inner[0].is_word("SELECT"):
                out.append(f"({self._scope(inner, state)})")
            else:
                out.append(f"({self._tokens(inner, state)})")
            return end + 1
        out.append("=" if token.is_symbol("==") else token.text)
        return index + 1

    def _word(self, tokens: list[Token], index: int, out: list[str], state: _State) -> int:
        token = tokens[index]
        upper = token.text.upper()
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if upper in _UNSUPPORTED_WORDS:
            raise YqlError(
                f"{_UNSUPPORTED_WORDS[upper]} is not supported", line=token.line, hint=_HINT
            )
        if following is not None and following.is_symbol("::"):
            return self._module_call(tokens, index, out, state)
        if following is not None and following.is_symbol("(") and upper not in _KEYWORDS:
            if upper == "CAST":
                return self._cast(tokens, index, out, state)
            return self._call(tokens, index, out, state)
        if upper == "WITHOUT":
            return self._without(tokens, index, out)
        if upper == "UNION":  # YQL unites by column name (DuckDB: by position)
            every = following is not None and following.is_word("ALL")
            out.append("UNION ALL BY NAME" if every else "UNION BY NAME")
            return index + (2 if every else 1)
        out.append(token.text)
        return index + 1

    def _call(self, tokens: list[Token], index: int, out: list[str], state: _State) -> int:
        token = tokens[index]
        end = closing(tokens, index + 1)
        name = token.text.upper()
        inner = tokens[index + 2 : end]
        if name in SPECIAL_BUILTINS:
            counts, build = SPECIAL_BUILTINS[name]
            out.append(build(self._arguments(inner, counts, token, state)))
        elif name in BUILTINS:
            if inner and inner[0].is_word("DISTINCT"):
                out.append(f"{BUILTINS[name]}(DISTINCT {self._tokens(inner[1:], state)})")
            else:
                out.append(f"{BUILTINS[name]}({self._tokens(inner, state)})")
        elif _followed_by_over(tokens, end):
            out.append(f"{token.text}({self._tokens(inner, state)})")
        else:
            raise YqlError(
                f"function {token.text}() is not supported by the dev YQL engine",
                line=token.line,
                hint=_HINT,
            )
        return end + 1

    def _module_call(self, tokens: list[Token], index: int, out: list[str], state: _State) -> int:
        if index + 2 >= len(tokens) or tokens[index + 2].kind is not Kind.WORD:
            raise YqlError(
                f"expected Module::Function after {tokens[index].text}::", line=tokens[index].line
            )
        module, function = tokens[index], tokens[index + 2]
        key = (module.text.upper(), function.text.upper())
        shown = f"{module.text}::{function.text}"
        if index + 3 >= len(tokens) or not tokens[index + 3].is_symbol("("):
            raise YqlError(f"{shown} must be called", line=module.line)
        end = closing(tokens, index + 3)
        inner = tokens[index + 4 : end]
        if key in CURRIED_FUNCTIONS:
            if end + 1 >= len(tokens) or not tokens[end + 1].is_symbol("("):
                raise YqlError(
                    f"{shown}(...) must be applied: {shown}(...)(value)", line=module.line
                )
            second_end = closing(tokens, end + 1)
            config = self._arguments(inner, (1,), function, state)
            value = self._arguments(tokens[end + 2 : second_end], (1,), function, state)
            out.append(CURRIED_FUNCTIONS[key](config, value))
            return second_end + 1
        if key not in MODULE_FUNCTIONS:
            raise YqlError(
                f"{shown} is not supported by the dev YQL engine", line=module.line, hint=_HINT
            )
        counts, build = MODULE_FUNCTIONS[key]
        out.append(build(self._arguments(inner, counts, function, state, shown=shown)))
        return end + 1

    def _cast(self, tokens: list[Token], index: int, out: list[str], state: _State) -> int:
        end = closing(tokens, index + 1)
        inner = tokens[index + 2 : end]
        split = max((at for at, token in enumerate(inner) if token.is_word("AS")), default=-1)
        if split < 1 or split + 1 >= len(inner):
            raise YqlError("expected CAST(value AS Type)", line=tokens[index].line)
        type_tokens = [token for token in inner[split + 1 :] if not token.is_symbol("?")]
        type_name = " ".join(token.text for token in type_tokens).upper()
        if type_name not in TYPES:
            shown = "".join(token.text for token in type_tokens)
            raise YqlError(
                f"CAST to {shown} is not supported (supported: "
                f"{', '.join(sorted(name.title() for name in TYPES))})",
                line=tokens[index].line,
            )
        out.append(cast(self._tokens(inner[:split], state), type_name))
        return end + 1

    def _without(self, tokens: list[Token], index: int, out: list[str]) -> int:
        columns: list[str] = []
        position = index + 1
        while position < len(tokens) and not tokens[position].is_word("FROM"):
            if not tokens[position].is_symbol(","):
                columns.append(_identifier(tokens[position].value))
            position += 1
        if not columns:
            raise YqlError("SELECT * WITHOUT needs column names", line=tokens[index].line)
        out.append(f"EXCLUDE ({', '.join(columns)})")
        return position

    def _arguments(
        self,
        inner: list[Token],
        counts: tuple[int, ...],
        name: Token,
        state: _State,
        *,
        shown: str | None = None,
    ) -> list[str]:
        groups = split_arguments(inner)
        if len(groups) not in counts:
            expected = " or ".join(str(count) for count in counts)
            raise YqlError(
                f"{shown or name.text}() takes {expected} argument(s), got {len(groups)}",
                line=name.line,
            )
        return [self._tokens(group, state) for group in groups]

    def _table(self, token: Token, state: _State) -> str:
        path = table_path(token)
        state.tables.append(path)
        return self._tables(path, token.line)

    def _named(
        self, token: Token, state: _State, *, in_table_position: bool, after_in: bool = False
    ) -> str:
        named = self.named.get(token.value)
        if named is None:
            raise YqlError(f"{token.text} is used before it is defined", line=token.line)
        for part in named.tokens:  # a lambda's own $parameters are not named expressions
            if part.kind is Kind.SYMBOL and part.text in _UNSUPPORTED_SYMBOLS:
                raise _unsupported_symbol(part)
        if not named.is_query:
            if after_in:  # x IN $list: membership in the list's items
                return f"(SELECT unnest({self._tokens(named.tokens, state)}))"
            return f"({self._tokens(named.tokens, state)})"
        body = named.tokens
        if body[0].is_symbol("("):
            body = body[1 : closing(body, 0)]
        if token.value not in state.ctes:
            state.ctes[token.value] = ""  # reserve the slot: dependencies come first
            sql = self._scope(body, state)
            del state.ctes[token.value]
            state.ctes[token.value] = sql
        cte = f'"q_{token.value}"'
        return cte if in_table_position else f"(SELECT * FROM {cte})"


@dataclass
class _State:
    tables: list[str] = field(default_factory=list[str])
    ctes: dict[str, str] = field(default_factory=dict[str, str])


def _unsupported_symbol(token: Token) -> YqlError:
    return YqlError(
        f"{_UNSUPPORTED_SYMBOLS[token.text]} is not supported", line=token.line, hint=_HINT
    )


def _followed_by_over(tokens: Sequence[Token], end: int) -> bool:
    return end + 1 < len(tokens) and tokens[end + 1].is_word("OVER")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(token: Token) -> str:
    text = token.text
    if text.lower().startswith("0x"):
        return str(int(text, 16))
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    suffix = text[len(digits) :].upper()
    if not suffix:
        return text
    if suffix in NUMBER_SUFFIXES:
        return f"CAST({digits} AS {NUMBER_SUFFIXES[suffix]})"
    if suffix in {"F"}:
        return f"CAST({digits} AS FLOAT)"
    raise YqlError(f"number literal {text!r} has an unknown type suffix", line=token.line)


def _join(parts: list[str]) -> str:
    text = ""
    for part in parts:
        if not text or part in (")", ",", ".", "]") or text.endswith(("(", ".", "[")):
            text += part
        else:
            text += " " + part
    return text


def _in_from_list(tokens: Sequence[Token], index: int) -> bool:
    """Whether the quoted name at ``index`` follows a comma of a ``FROM a, b`` list (a table),
    not a comma of a select list or a call (a column such as ```//odd/name```)."""
    if index == 0 or not tokens[index - 1].is_symbol(","):
        return False
    depth = 0
    for token in reversed(tokens[:index]):
        if token.is_symbol(")"):
            depth += 1
        elif token.is_symbol("("):
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0 and token.is_word(*_TABLE_POSITION):
            return True
        elif depth == 0 and token.kind is Kind.WORD and token.text.upper() in _CLAUSE_WORDS:
            return False
    return False
