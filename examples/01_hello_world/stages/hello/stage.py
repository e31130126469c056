"""Write one greeting row per name."""

from ytflow import Stage


class Hello(Stage):
    def run(self, debug: dict) -> dict:
        rows = (
            {"name": name, "text": f"{self.config.greeting}, {name}!"} for name in self.config.names
        )
        written = self.deps.yt_client.write_table(table_path=self.config.output_table, rows=rows)
        self.logger.info("wrote %d greetings to %s", written, self.config.output_table)
        debug["greetings"] = written
        return debug
