"""The sqllogictest oracle: YDB's sqllogictest queries, answered by dev YQL and by SQLite."""
