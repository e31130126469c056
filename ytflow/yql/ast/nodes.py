"""AST nodes for YQL constructs sqlglot has no node for."""

from __future__ import annotations

from typing import ClassVar

from sqlglot.expressions.core import Expression


class NamedDefinition(Expression):
    """``$name = expression;`` or ``$name = (SELECT ...);``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True, "line": False}


class Pragma(Expression):
    """``PRAGMA name [= value];``: dev accepts a known one and ignores it."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "line": False}


class YqlCast(Expression):
    """``CAST(x AS Type)`` with a YQL type name (a key of ``functions.TYPES``)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "to": True}


class Curried(Expression):
    """``Module::Function(config)(value)``: ``this`` is the first call."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": True}


class RawSql(Expression):
    """SQL text the caller produced (a table's ``read_json(...)``), emitted as is."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "alias": False}
