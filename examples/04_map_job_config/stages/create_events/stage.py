"""Write a small events table."""

from ytflow import Stage


class CreateEvents(Stage):
    def run(self, debug: dict) -> dict:
        rows = ({"event_id": i, "user_id": i % 3, "amount_cents": 250 * i} for i in range(1, 7))
        debug["events"] = self.deps.yt_client.write_table(
            table_path=self.config.output_table, rows=rows
        )
        return debug
