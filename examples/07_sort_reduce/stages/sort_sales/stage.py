"""Sort by region (then amount): reduce needs input sorted by its key, as on YT."""

from ytflow import Stage


class SortSales(Stage):
    def run(self, debug: dict) -> dict:
        self.run_sort(self.config.client.operations.sort)
        return debug
