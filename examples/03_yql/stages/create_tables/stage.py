"""Write the input tables: users, January orders and late orders (keys in another order)."""

from ytflow import Stage

USERS = [
    {"user_id": 1, "name": "Alice", "country": "NL"},
    {"user_id": 2, "name": "Bob", "country": "DE"},
    {"user_id": 3, "name": "Carol", "country": "NL"},
]
ORDERS = [
    {"order_id": 101, "user_id": 1, "amount": 30, "day": "2024-01-05"},
    {"order_id": 102, "user_id": 2, "amount": 12, "day": "2024-01-06"},
    {"order_id": 103, "user_id": 1, "amount": 5, "day": "2024-01-07"},
]
# YQL's UNION ALL matches columns by name, so the key order in these rows does not matter.
LATE_ORDERS = [
    {"amount": 50, "day": "2024-02-01", "user_id": 3, "order_id": 104},
    {"amount": 8, "day": "2024-02-02", "user_id": 4, "order_id": 105},  # an unknown user
]


class CreateTables(Stage):
    def run(self, debug: dict) -> dict:
        yt = self.deps.yt_client
        folder = self.config.folder
        yt.write_table(table_path=f"{folder}/users", rows=USERS)
        yt.write_table(table_path=f"{folder}/orders", rows=ORDERS)
        yt.write_table(table_path=f"{folder}/late_orders", rows=LATE_ORDERS)
        return debug
