"""Build the users table."""

from ytflow import Stage

USERS = [
    {"user_id": 1, "name": "Alice", "country": "NL"},
    {"user_id": 2, "name": "Bob", "country": "DE"},
    {"user_id": 3, "name": "Carol", "country": "NL"},
    {"user_id": 4, "name": "Dave", "country": "FR"},
]


class CreateUsers(Stage):
    def run(self, debug: dict) -> dict:
        debug["users"] = self.deps.yt_client.write_table(
            table_path=self.config.output_table, rows=USERS
        )
        return debug
