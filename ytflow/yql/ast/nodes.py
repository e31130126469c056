"""AST nodes for YQL constructs sqlglot has no node for."""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp


class NamedDefinition(exp.Expression):
    """``$name = expression;`` or ``$name = (SELECT ...);``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True, "line": False}


class Pragma(exp.Expression):
    """``PRAGMA name [= value];``: dev accepts a known one and ignores it."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "line": False}


class YqlCast(exp.Expression):
    """``CAST(x AS Type)`` with a YQL type name (a key of ``functions.TYPES``)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "to": True}


class Curried(exp.Expression):
    """``Module::Function(config)(value)``: ``this`` is the first call."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": True}


class RawSql(exp.Expression):
    """SQL text the caller produced (a table's ``read_json(...)``), emitted as is."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "alias": False}
