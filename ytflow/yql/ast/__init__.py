"""YQL parsed by sqlglot (a YQL dialect) and generated as DuckDB SQL, scope by scope."""

from ytflow.yql.ast.to_duckdb import AstStatement, AstTranslator

__all__ = ["AstStatement", "AstTranslator"]
