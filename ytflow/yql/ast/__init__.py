"""YQL parsed by sqlglot (a YQL dialect) and generated as DuckDB SQL, scope by scope."""

from ytflow.yql.ast.arithmetic import MACROS, SESSION_SQL, SETTINGS, calls_macros
from ytflow.yql.ast.to_duckdb import AstStatement, AstTranslator

__all__ = [
    "MACROS",
    "SESSION_SQL",
    "SETTINGS",
    "AstStatement",
    "AstTranslator",
    "calls_macros",
]
