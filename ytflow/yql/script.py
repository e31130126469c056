"""A YQL script as statements: what each one is, what it reads and where it writes.

``USE``, ``PRAGMA``, ``$name = ...;``, ``INSERT INTO ... [WITH TRUNCATE] SELECT ...``, a bare
``SELECT`` and ``COMMIT`` are understood; anything else is refused with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ytflow.errors import YqlError
from ytflow.yql.tokens import Kind, Token, tokenize

StatementKind = Literal["use", "pragma", "assign", "insert", "select", "commit"]

_UNSUPPORTED_STATEMENTS = {
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
# DuckDB statements that reach files, extensions or settings; none of them is YQL.
_DUCKDB_STATEMENTS = {
    "ATTACH",
    "CALL",
    "CHECKPOINT",
    "COPY",
    "DESCRIBE",
    "DETACH",
    "FROM",
    "INSTALL",
    "LOAD",
    "PIVOT",
    "RESET",
    "SET",
    "SHOW",
    "SUMMARIZE",
    "UNPIVOT",
    "VACUUM",
    "WITH",
}


@dataclass(frozen=True)
class Statement:
    """One statement; ``tokens`` is the query part (after ``INSERT INTO target``)."""

    kind: StatementKind
    line: int
    tokens: list[Token] = field(default_factory=list[Token])
    name: str | None = None  # assign: the $name; pragma: the pragma; use: the cluster
    target: str | None = None  # insert: the output table
    truncate: bool = False  # insert: WITH TRUNCATE


def parse_script(text: str) -> list[Statement]:
    """Tokenize and classify every statement of ``text``."""
    return [_classify(tokens) for tokens in _split(tokenize(text))]


def table_path(token: Token) -> str:
    """A quoted table name as a Cypress path (YQL reads ``home/t`` as ``//home/t``)."""
    value = token.value
    return value if value.startswith("//") else "//" + value.lstrip("/")


def _split(tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for token in tokens:
        if token.is_symbol("(", "[", "{"):
            depth += 1
        elif token.is_symbol(")", "]", "}"):
            depth -= 1
        if token.is_symbol(";") and depth == 0:
            if current:
                statements.append(current)
            current = []
            continue
        current.append(token)
    if current:
        statements.append(current)
    return statements


def _classify(tokens: list[Token]) -> Statement:
    first = tokens[0]
    line = first.line
    if first.is_word("USE"):
        return Statement("use", line, name=" ".join(token.value for token in tokens[1:]))
    if first.is_word("PRAGMA"):
        return _pragma(tokens)
    if first.is_word("COMMIT"):
        return Statement("commit", line)
    if first.kind is Kind.PARAM:
        if len(tokens) < 3 or not tokens[1].is_symbol("="):
            raise YqlError(f"expected '{first.text} = ...;'", line=line)
        return Statement("assign", line, tokens[2:], name=first.value)
    if first.is_word("INSERT"):
        return _insert(tokens)
    if first.is_word("SELECT") or first.is_symbol("("):
        return Statement("select", line, tokens)
    described = _UNSUPPORTED_STATEMENTS.get(first.text.upper())
    if described:
        raise YqlError(
            f"{described} is not supported by the dev YQL engine",
            line=line,
            hint="dev runs a subset of YQL on DuckDB (see docs/yql.md); run this in prod",
        )
    if first.kind is Kind.WORD and first.text.upper() in _DUCKDB_STATEMENTS:
        raise YqlError(
            f"{first.text.upper()} is not a YQL statement; dev refuses it",
            line=line,
            hint="dev YQL reads and writes only tables (no files, settings or extensions); "
            "a script holds USE, PRAGMA, $name = ..., INSERT INTO, SELECT and COMMIT",
        )
    raise YqlError(f"unexpected {first.text!r} at the start of a statement", line=line)


def _pragma(tokens: list[Token]) -> Statement:
    name_parts: list[str] = []
    rest = tokens[1:]
    while rest and not rest[0].is_symbol("=", "("):
        name_parts.append(rest[0].value)
        rest = rest[1:]
    return Statement("pragma", tokens[0].line, rest, name="".join(name_parts))


def _insert(tokens: list[Token]) -> Statement:
    line = tokens[0].line
    if len(tokens) < 3 or not tokens[1].is_word("INTO"):
        raise YqlError("expected INSERT INTO `//path/to/table` ...", line=line)
    position = 2
    if (
        len(tokens) > position + 2
        and tokens[position + 1].is_symbol(".")
        and tokens[position + 2].kind is Kind.QUOTED
    ):
        position += 2  # cluster.`//path`
    target = tokens[position]
    if target.kind is not Kind.QUOTED:
        raise YqlError(
            f"INSERT INTO needs a backquoted table path such as `//tmp/out`, got {target.text!r}",
            line=target.line,
        )
    position += 1
    truncate = False
    if len(tokens) > position + 1 and tokens[position].is_word("WITH"):
        if not tokens[position + 1].is_word("TRUNCATE"):
            raise YqlError(
                f"INSERT INTO ... WITH {tokens[position + 1].text} is not supported",
                line=tokens[position].line,
            )
        truncate = True
        position += 2
    query = tokens[position:]
    if not query:
        raise YqlError("INSERT INTO needs a SELECT", line=line)
    if query[0].is_symbol("("):
        raise YqlError("INSERT INTO with a column list is not supported", line=query[0].line)
    return Statement("insert", line, query, target=table_path(target), truncate=truncate)
