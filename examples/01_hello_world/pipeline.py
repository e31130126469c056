"""Hello world: one stage writes a table in dev mode."""

from ytflow import Pipeline

if __name__ == "__main__":
    Pipeline.main()
