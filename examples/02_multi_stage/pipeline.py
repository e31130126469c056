"""Multi-stage: two stages build tables, a third combines them."""

from ytflow import Pipeline

if __name__ == "__main__":
    Pipeline.main()
