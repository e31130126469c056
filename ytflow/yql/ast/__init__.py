"""YQL parsed by sqlglot (a YQL dialect) and generated as DuckDB SQL, scope by scope."""

from ytflow.yql.ast.arithmetic import SESSION_SQL
from ytflow.yql.ast.to_duckdb import AstStatement, AstTranslator

__all__ = ["SESSION_SQL", "AstStatement", "AstTranslator"]
