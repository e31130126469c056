"""Token-level structure and rewrites shared by the YQL translator.

Finding a closing bracket, splitting call arguments, and turning YQL's
``GROUP BY expr AS key`` (which DuckDB lacks) into ``GROUP BY expr`` with ``key`` read as
``expr`` everywhere else in the same SELECT.
"""

from __future__ import annotations

from collections.abc import Sequence

from ytflow.errors import YqlError
from ytflow.yql.tokens import Kind, Token

_CLAUSE_END = ("HAVING", "ORDER", "LIMIT", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "OFFSET")


def closing(tokens: Sequence[Token], opening: int) -> int:
    depth = 0
    for position in range(opening, len(tokens)):
        if tokens[position].is_symbol("(", "[", "{"):
            depth += 1
        elif tokens[position].is_symbol(")", "]", "}"):
            depth -= 1
            if depth == 0:
                return position
    raise YqlError("unbalanced parentheses", line=tokens[opening].line)


def split_arguments(tokens: Sequence[Token]) -> list[list[Token]]:
    if not tokens:
        return []
    groups: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.is_symbol("(", "[", "{"):
            depth += 1
        elif token.is_symbol(")", "]", "}"):
            depth -= 1
        if token.is_symbol(",") and depth == 0:
            groups.append([])
            continue
        groups[-1].append(token)
    return groups


def inline_group_aliases(tokens: list[Token]) -> list[Token]:
    """``GROUP BY expr AS key``: group by ``expr`` and read ``key`` as ``expr`` elsewhere."""
    start = _top_level_group_by(tokens)
    if start is None:
        return tokens
    end = start
    depth = 0
    while end < len(tokens):
        token = tokens[end]
        depth += token.is_symbol("(", "[") - token.is_symbol(")", "]")
        if depth == 0 and (token.is_word(*_CLAUSE_END) or token.is_symbol(";")):
            break
        end += 1
    items = split_arguments(tokens[start:end])
    aliases: dict[str, list[Token]] = {}
    kept: list[list[Token]] = []
    for item in items:
        if len(item) >= 3 and item[-2].is_word("AS") and item[-1].kind in (Kind.WORD, Kind.QUOTED):
            aliases[item[-1].value] = item[:-2]
            kept.append(item[:-2])
        else:
            kept.append(item)
    if not aliases:
        return tokens
    comma = Token(Kind.SYMBOL, ",", ",", tokens[start].line)
    group_by: list[Token] = []
    for position, item in enumerate(kept):
        group_by.extend(([comma] if position else []) + item)
    head = _replace_aliases(tokens[:start], aliases, select_list=True)
    tail = _replace_aliases(tokens[end:], aliases, select_list=False)
    return head + group_by + tail


def _top_level_group_by(tokens: list[Token]) -> int | None:
    depth = 0
    for position, token in enumerate(tokens):
        depth += token.is_symbol("(", "[") - token.is_symbol(")", "]")
        if (
            depth == 0
            and token.is_word("GROUP")
            and position + 1 < len(tokens)
            and tokens[position + 1].is_word("BY")
        ):
            return position + 2
    return None


def _replace_aliases(
    tokens: list[Token], aliases: dict[str, list[Token]], *, select_list: bool
) -> list[Token]:
    result: list[Token] = []
    for position, token in enumerate(tokens):
        expression = aliases.get(token.value) if token.kind in (Kind.WORD, Kind.QUOTED) else None
        before = tokens[position - 1] if position else None
        after = tokens[position + 1] if position + 1 < len(tokens) else None
        qualified = (before is not None and (before.is_symbol(".") or before.is_word("AS"))) or (
            after is not None and after.is_symbol(".", "(")
        )
        if expression is None or qualified:
            result.append(token)
            continue
        line = token.line
        wrapped = [
            Token(Kind.SYMBOL, "(", "(", line),
            *expression,
            Token(Kind.SYMBOL, ")", ")", line),
        ]
        alone = (
            before is None or before.is_symbol(",") or before.is_word("SELECT", "DISTINCT")
        ) and (after is None or after.is_symbol(",") or after.is_word("FROM"))
        if select_list and alone:
            wrapped += [Token(Kind.WORD, "AS", "AS", line), token]
        result.extend(wrapped)
    return result
