"""Run the mapper; it writes every event to table 0 and VIP events to table 1."""

from ytflow import Stage


class Enrich(Stage):
    def run(self, debug: dict) -> dict:
        result = self.run_map(self.config.client.operations.map)
        self.logger.info("mapped %d events into %s", debug.get("events", 0), result.output_rows)
        debug["enriched"] = result.output_rows
        return debug
