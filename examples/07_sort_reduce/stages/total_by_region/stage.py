"""Total sales per region with a reduce over the sorted table."""

from ytflow import Stage


class TotalByRegion(Stage):
    def run(self, debug: dict) -> dict:
        result = self.run_reduce(self.config.client.operations.reduce)
        debug["regions"] = result.row_count
        return debug
