"""Write a few lines of text."""

from ytflow import Stage

TEXT = [
    "the quick brown fox",
    "jumps over the lazy dog",
    "the dog sleeps",
]


class WriteLines(Stage):
    def run(self, debug: dict) -> dict:
        rows = ({"line_no": n, "text": text} for n, text in enumerate(TEXT))
        self.deps.yt_client.write_table(table_path=self.config.output_table, rows=rows)
        return debug
