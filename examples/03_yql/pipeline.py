"""YQL: the client's table helpers and a raw multi-statement script, in dev on DuckDB."""

from ytflow import Pipeline

if __name__ == "__main__":
    Pipeline.main()
