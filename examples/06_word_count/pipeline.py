"""word count example."""

from ytflow import Pipeline

if __name__ == "__main__":
    Pipeline.main()
