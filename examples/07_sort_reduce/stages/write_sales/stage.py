"""Write unsorted sales rows."""

from ytflow import Stage

SALES = [
    {"region": "west", "amount": 10},
    {"region": "east", "amount": 5},
    {"region": "west", "amount": 7},
    {"region": "north", "amount": 1},
    {"region": "east", "amount": 8},
]


class WriteSales(Stage):
    def run(self, debug: dict) -> dict:
        self.deps.yt_client.write_table(table_path=self.config.output_table, rows=SALES)
        return debug
