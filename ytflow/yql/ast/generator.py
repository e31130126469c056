"""DuckDB's SQL generator taught YQL's nodes and function names: the last step of the
translation (``to_duckdb.py`` parses, resolves and rewrites; this writes the SQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from sqlglot import exp
from sqlglot.generators.duckdb import DuckDBGenerator

from ytflow.errors import YqlError
from ytflow.yql.ast.allowed import HINT
from ytflow.yql.ast.arithmetic import UINT64_RESULTS, division_sql, is_uint64, uint64_sql
from ytflow.yql.ast.nodes import Curried, LambdaParam, RawSql, YqlCast, YqlLambda, position
from ytflow.yql.functions import (
    BUILTINS,
    CURRIED_FUNCTIONS,
    INTEGER_BITS,
    INTEGER_TYPES,
    MODULE_FUNCTIONS,
    SPECIAL_BUILTINS,
    TYPES,
)


def _cast_sql(value: str, type_name: str) -> str:
    """YQL's CAST over a value written once (a DuckDB lambda binds it): NULL when it does not
    convert, a Double's fraction dropped for an integer type, whole numbers only from text."""
    target = TYPES[type_name]
    fractional = "(typeof(v) IN ('DOUBLE', 'FLOAT') OR typeof(v) LIKE 'DECIMAL%')"
    if type_name in INTEGER_TYPES:
        body = (
            f"CASE WHEN {fractional} THEN TRY_CAST(trunc(TRY_CAST(v AS DOUBLE)) AS {target}) "
            "WHEN typeof(v) = 'VARCHAR' AND NOT regexp_full_match(TRY_CAST(v AS VARCHAR), "
            f"'-?[0-9]+') THEN NULL ELSE TRY_CAST(v AS {target}) END"
        )
    elif target == "VARCHAR":
        body = (
            f"CASE WHEN {fractional} THEN regexp_replace(CAST(TRY_CAST(v AS DOUBLE) AS VARCHAR), "
            "'\\.0$', '') ELSE TRY_CAST(v AS VARCHAR) END"
        )
    else:
        return f"TRY_CAST({value} AS {target})"
    return f"list_transform([{value}], lambda v: {body})[1]"


def _position(node: exp.Expr) -> tuple[int | None, str]:
    line, column = position(node)
    return line, (f" (column {column})" if column else "")


class YqlGenerator(DuckDBGenerator):
    """DuckDB's generator, knowing YQL's nodes and YQL's function names."""

    def yqlcast_sql(self, expression: YqlCast) -> str:
        value, target = self.sql(expression, "this"), str(expression.args["to"])
        if expression.args.get("bits"):
            bits = INTEGER_BITS[target]
            signed = "true" if target.startswith("INT") else "false"
            return f"CAST(ytflow_bitcast({value}, {bits}, {signed}) AS {TYPES[target]})"
        return _cast_sql(value, target)

    def rawsql_sql(self, expression: RawSql) -> str:
        alias = expression.args.get("alias")
        text = f"{expression.args['this']}"
        return f"{text} AS {self.sql(alias)}" if alias is not None else text

    def curried_sql(self, expression: Curried) -> str:
        call: exp.Anonymous = expression.this
        key = _key(call.name)
        if key not in CURRIED_FUNCTIONS:
            line, column = _position(call)
            raise YqlError(
                f"{call.name} is not supported by the dev YQL engine{column}", line=line, hint=HINT
            )
        config = [self.sql(arg) for arg in call.expressions]
        value = [self.sql(arg) for arg in expression.expressions]
        return CURRIED_FUNCTIONS[key](config, value)

    def yqllambda_sql(self, expression: YqlLambda, *, reverse: bool = False) -> str:
        names = [f'"${param.name}"' for param in expression.args["params"]]
        body = self.sql(expression, "this")
        return f"lambda {', '.join(reversed(names) if reverse else names)}: {body}"

    def lambdaparam_sql(self, expression: LambdaParam) -> str:
        return f'"${expression.name}"'

    def anonymous_sql(self, expression: exp.Anonymous) -> str:
        name = expression.name
        upper = name.upper()
        args = [self.sql(arg) for arg in expression.expressions]
        folded = expression.expressions[2] if upper == "LISTFOLD" and len(args) == 3 else None
        if isinstance(folded, YqlLambda):  # YQL's ($item, $state), DuckDB's (state, item)
            args[2] = self.yqllambda_sql(folded, reverse=True)
        line, column = _position(expression)
        if "::" in name:
            key = _key(name)
            if key in CURRIED_FUNCTIONS:
                raise YqlError(
                    f"{name}(...) must be applied: {name}(...)(value){column}", line=line
                )
            if key not in MODULE_FUNCTIONS:
                raise YqlError(
                    f"{name} is not supported by the dev YQL engine{column}", line=line, hint=HINT
                )
            counts, build = MODULE_FUNCTIONS[key]
            _check_count(name, args, counts, line)
            return build(args)
        if upper in SPECIAL_BUILTINS:
            counts, build = SPECIAL_BUILTINS[upper]
            _check_count(name, args, counts, line)
            return build(args)
        if upper in BUILTINS:
            call = f"{BUILTINS[upper]}({', '.join(args)})"
            if upper in UINT64_RESULTS and not isinstance(expression.parent, exp.Window):
                return f"CAST({call} AS UBIGINT)"  # as YQL types it, so Uint64 rules apply
            return call
        if isinstance(expression.parent, exp.Window) or name == "unnest":
            return f"{name}({', '.join(args)})"
        raise YqlError(
            f"function {name}() is not supported by the dev YQL engine{column}",
            line=line,
            hint=HINT,
        )

    def div_sql(self, expression: exp.Div | exp.Mod) -> str:
        left, right = self.sql(expression, "this"), self.sql(expression, "expression")
        return division_sql(expression, left, right)

    def arithmetic_sql(self, expression: exp.Add | exp.Sub | exp.Mul) -> str:
        if is_uint64(expression):
            left, right = self.sql(expression, "this"), self.sql(expression, "expression")
            return uint64_sql(expression, left, right)
        return self.binary(expression, {exp.Add: "+", exp.Sub: "-", exp.Mul: "*"}[type(expression)])

    def not_sql(self, expression: exp.Not) -> str:
        """YQL's unary NOT, parenthesized so DuckDB does not read ``NOT x < y`` as SQL does."""
        return f"(NOT ytflow_bool({self.sql(expression, 'this')}))"

    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        **DuckDBGenerator.TRANSFORMS,
        YqlCast: yqlcast_sql,
        YqlLambda: yqllambda_sql,
        LambdaParam: lambdaparam_sql,
        RawSql: rawsql_sql,
        Curried: curried_sql,
        exp.Anonymous: anonymous_sql,
        exp.Div: div_sql,
        exp.Add: arithmetic_sql,
        exp.Sub: arithmetic_sql,
        exp.Mul: arithmetic_sql,
        exp.Not: not_sql,
        exp.Mod: div_sql,
    }


def _key(name: str) -> tuple[str, str]:
    module, _, function = name.partition("::")
    return module.upper(), function.upper()


def _check_count(name: str, args: list[str], counts: tuple[int, ...], line: int | None) -> None:
    if len(args) not in counts:
        expected = " or ".join(str(count) for count in counts)
        raise YqlError(f"{name}() takes {expected} argument(s), got {len(args)}", line=line)
