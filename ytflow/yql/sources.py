"""Dev YQL reads only tables: every data source of a query must be a table path.

DuckDB, which runs dev's YQL, reads a local file wherever a table belongs and it is given a
string (``FROM 'data.csv'``), a quoted name (``FROM "x.json"``, which dev's YQL spells
`` `x.json` `` after a comma) or a table function (``read_csv(...)``). YQL on the cluster
reads tables only, so a query that dev ran that way would work nowhere else. Each item of a
FROM clause (after ``FROM``, ``JOIN``, or ``,``, at any depth) must therefore be a
backquoted ``//`` table path (with an optional ``cluster.`` prefix), a ``$named`` subquery
or a parenthesised subquery; anything else is refused with its line before a statement runs.

This check gives the clear message. It is not the only wall: the dev engine also seals
DuckDB itself from every file but the tables a statement uses (see ``ytflow.dev.yql_engine``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ytflow.errors import YqlError
from ytflow.yql.tokens import Kind, Token

# Words that end a FROM clause at their depth (commas after them are not table lists).
_CLAUSE_END = {
    "SELECT",
    "WHERE",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "WINDOW",
    "QUALIFY",
    "VALUES",
    "FLATTEN",
    "ASSUME",
    "SAMPLE",
    "TABLESAMPLE",
}
# Words that may stand before a data source without being one (DuckDB's and YQL's).
_PREFIXES = {"LATERAL", "PIVOT", "UNPIVOT", "ANY", "ONLY"}
# A parenthesised item starting with one of these is a subquery, not a table list.
_SUBQUERY_START = {"SELECT", "VALUES", "FROM"}
_HINT = (
    "dev YQL reads and writes only tables: write the table path in backquotes, such as "
    "FROM `//home/project/table`, or use a $named subquery; local files are never read"
)


def check_sources(tokens: Sequence[Token], scalars: Collection[str] = ()) -> None:
    """Raise ``YqlError`` for the first data source in ``tokens`` that is not a table.

    ``scalars`` names the ``$name`` definitions that are expressions, not subqueries.
    """
    in_from = [False]  # per bracket depth: inside a FROM clause
    expect_source = False
    for index, token in enumerate(tokens):
        if expect_source:
            expect_source = _source(tokens, index, in_from=in_from, scalars=scalars)
            continue
        if token.is_symbol("(", "[", "{"):
            in_from.append(False)
        elif token.is_symbol(")", "]", "}"):
            if len(in_from) > 1:
                in_from.pop()
        elif token.is_word("FROM", "JOIN"):
            in_from[-1] = True
            expect_source = True
        elif token.is_symbol(",") and in_from[-1]:
            expect_source = True
        elif token.kind is Kind.WORD and token.text.upper() in _CLAUSE_END:
            in_from[-1] = False


def _source(
    tokens: Sequence[Token], index: int, *, in_from: list[bool], scalars: Collection[str]
) -> bool:
    """Check the token that starts a data source; True while a source is still expected."""
    token = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    previous = tokens[index - 1]
    if token.kind is Kind.WORD and token.text.upper() in _PREFIXES:
        return True
    if token.is_symbol("("):
        nested = following is None or not (
            following.kind is Kind.WORD and following.text.upper() in _SUBQUERY_START
        )
        in_from.append(nested)  # ( `//a` JOIN `//b` ): a table list inside brackets
        return nested
    if token.kind is Kind.PARAM:
        if token.value in scalars:
            raise _refused(f"{token.text}, which is an expression, not a subquery,", token)
        return False
    if token.kind is Kind.QUOTED:
        if token.value.startswith("//") or previous.is_word("FROM", "JOIN"):
            return False
        raise _refused(f"`{token.value}` after {previous.text!r}", token, path=token.value)
    if token.kind is Kind.STRING:
        raise _refused(f"the string {token.text}", token, path=token.value)
    if token.kind is Kind.WORD and following is not None and following.is_symbol("."):
        after = tokens[index + 2] if index + 2 < len(tokens) else None
        if after is not None and after.kind is Kind.QUOTED:
            return False  # cluster.`//path`
    if token.kind is Kind.WORD and following is not None and following.is_symbol("("):
        raise _refused(f"the function call {token.text}(...)", token)
    if token.kind is Kind.WORD:
        raise _refused(f"the bare name {token.text}", token, path=token.text)
    raise _refused(f"{token.text!r}", token)


def _refused(what: str, token: Token, *, path: str | None = None) -> YqlError:
    hint = _HINT
    if path is not None and not path.startswith("//"):
        hint += f"; if {path!r} is a table, write `//{path.lstrip('/')}` with its full path"
    return YqlError(
        f"{what} is used as a data source; only table paths may be read", line=token.line, hint=hint
    )
