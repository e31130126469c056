"""Rewrites done per SELECT scope on the AST, so an alias or a name never leaks into a
subquery: ``GROUP BY expr AS key``, ``SELECT *`` with ``GROUP BY``, YQL's ``column0`` names
for unnamed results, NULL ordering, and ``UNION`` by name."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

_SCOPES = (exp.Select, exp.Subquery, exp.SetOperation)


def rewrite_scopes(tree: exp.Expr) -> exp.Expr:
    """Apply every scoped rewrite to ``tree`` (changed in place; returned for chaining)."""
    selects: list[exp.Select] = []
    for node in tree.walk():
        if isinstance(node, exp.Select):
            selects.append(node)
        elif isinstance(node, exp.Ordered):
            node.set("nulls_first", not node.args.get("desc"))
        elif isinstance(node, exp.Union):
            node.set("by_name", True)
    for select in selects:
        _star_with_group(select, _group_aliases(select))
        _name_columns(select)
    return tree


def _in_scope(node: exp.Expr, visit: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """``visit`` every node under ``node`` that belongs to the same scope (no subqueries)."""
    if isinstance(node, _SCOPES):
        return node
    replaced = visit(node)
    if replaced is not node:
        return replaced
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expr):
            node.set(key, _in_scope(value, visit))
        elif isinstance(value, list):
            items: list[object] = list(value)  # pyright: ignore[reportUnknownArgumentType]
            node.set(
                key,
                [_in_scope(item, visit) if isinstance(item, exp.Expr) else item for item in items],
            )
    return node


def _group_aliases(select: exp.Select) -> list[exp.Expr]:
    """``GROUP BY expr AS key``: group by ``expr``; ``key`` in this SELECT's list, HAVING and
    ORDER BY reads ``expr``, while a subquery's own ``key`` stays its own. Returns the grouping
    columns as ``SELECT *`` shows them."""
    group = select.args.get("group")
    if group is None:
        return []
    aliases: dict[str, exp.Expr] = {}
    items: list[exp.Expr] = []
    keys: list[exp.Expr] = []
    for item in group.expressions:
        if isinstance(item, exp.Alias):
            aliases[item.alias] = item.this
            items.append(item.this)
            keys.append(exp.alias_(item.this.copy(), item.alias, quoted=True))
        else:
            items.append(item)
            if isinstance(item, exp.Column):
                keys.append(item.copy())
    group.set("expressions", items)
    if not aliases:
        return keys

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in aliases:
            return exp.Paren(this=aliases[node.name].copy())
        return node

    projections: list[exp.Expr] = []
    for projection in select.expressions:
        if (
            isinstance(projection, exp.Column)
            and not projection.table
            and projection.name in aliases
        ):
            name = projection.name
            projections.append(exp.alias_(aliases[name].copy(), name, quoted=True))
        else:
            projections.append(_in_scope(projection, replace))
    select.set("expressions", projections)
    for key in ("having", "order"):
        clause = select.args.get(key)
        if clause is not None:
            select.set(key, _in_scope(clause, replace))
    return keys


def _star_with_group(select: exp.Select, keys: list[exp.Expr]) -> None:
    """``SELECT * ... GROUP BY``: YQL returns the grouping columns."""
    if select.args.get("group") is None:
        return
    projections: list[exp.Expr] = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            projections.extend(key.copy() for key in keys)
        else:
            projections.append(projection)
    select.set("expressions", projections)


def _name_columns(select: exp.Select) -> None:
    """An unnamed result column is ``column<N>``, N its position in the SELECT list (YQL)."""
    projections: list[exp.Expr] = []
    for position, projection in enumerate(select.expressions):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)) or (
            isinstance(projection, exp.Dot) and isinstance(projection.expression, exp.Star)
        ):
            projections.append(projection)
        else:
            projections.append(exp.alias_(projection, f"column{position}", quoted=True, copy=False))
    select.set("expressions", projections)
