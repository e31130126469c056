"""Count words with a map-reduce: the mapper splits, YT (or dev) sorts by word, the reducer sums."""

from ytflow import Stage


class CountWords(Stage):
    def run(self, debug: dict) -> dict:
        result = self.run_map_reduce(self.config.client.operations.map_reduce)
        debug["distinct_words"] = result.row_count
        return debug
