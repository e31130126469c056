"""AST nodes for YQL constructs sqlglot has no node for."""

from __future__ import annotations

from typing import ClassVar

from sqlglot.expressions.core import Expr, Expression, Identifier


class NamedDefinition(Expression):
    """``$name = expression;`` or ``$name = (SELECT ...);``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True, "line": False}


class Pragma(Expression):
    """``PRAGMA name [= value];``: dev accepts a known one and ignores it."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "line": False}


class YqlCast(Expression):
    """``CAST(x AS Type)`` with a YQL type name (a key of ``functions.TYPES``); ``bits`` for
    ``BITCAST``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "to": True, "bits": False}


class YqlLambda(Expression):
    """``($x, $y?) -> body``: ``params`` are ``Var`` names, the last ``optional`` of them may
    be omitted in a call; in ``this`` (the body) they are ``LambdaParam`` nodes."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "params": True, "optional": False}


class LambdaParam(Expression):
    """A lambda's parameter where its body reads it."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class Curried(Expression):
    """``Module::Function(config)(value)``: ``this`` is the first call."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": True}


class RawSql(Expression):
    """SQL text the caller produced (a table's ``read_json(...)``), emitted as is."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "alias": False}


def position(node: Expr) -> tuple[int | None, int | None]:
    """Where ``node`` was read: the line and column of its first part that sqlglot (an
    identifier) or the YQL parser (a call) recorded."""
    for part in node.walk():
        meta = part.meta
        if meta.get("line"):
            if meta.get("column"):
                return int(meta["line"]), int(meta["column"])
            width = len(part.name) if isinstance(part, Identifier) else 1
            end = meta.get("col")
            return int(meta["line"]), (max(int(end) - width + 1, 1) if end else None)
    return None, None
