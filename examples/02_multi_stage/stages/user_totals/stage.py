"""Combine users and orders in Python: order count and total amount per user."""

from collections import defaultdict

from ytflow import Stage


class UserTotals(Stage):
    def run(self, debug: dict) -> dict:
        yt = self.deps.yt_client
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for order in yt.read_table(self.config.orders_table):
            totals[order["user_id"]][0] += 1
            totals[order["user_id"]][1] += order["amount"]
        rows = (
            {
                "user_id": user["user_id"],
                "name": user["name"],
                "orders": totals[user["user_id"]][0],
                "total_amount": totals[user["user_id"]][1],
            }
            for user in yt.read_table(self.config.users_table)
        )
        written = yt.write_table(table_path=self.config.output_table, rows=rows)
        self.logger.info(
            "%d user totals from %d orders", written, yt.row_count(self.config.orders_table)
        )
        return debug
