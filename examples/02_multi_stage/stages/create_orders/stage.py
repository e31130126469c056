"""Build the orders table: a generator, streamed to the table row by row."""

from collections.abc import Iterator

from ytflow import Stage


class CreateOrders(Stage):
    def run(self, debug: dict) -> dict:
        def orders() -> Iterator[dict]:
            order_id = 100
            for user_id in range(1, debug.get("users", 4) + 1):
                for n in range(self.config.orders_per_user):
                    order_id += 1
                    yield {"order_id": order_id, "user_id": user_id, "amount": 10 * user_id + n}

        debug["orders"] = self.deps.yt_client.write_table(
            table_path=self.config.output_table, rows=orders()
        )
        self.logger.info("wrote %d orders", debug["orders"])
        return debug
