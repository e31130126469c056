"""Every YQL table helper of the client, each one YQL query (the same text in dev and prod)."""

from typing import Any

from ytflow import Stage


class TableHelpers(Stage):
    def run(self, debug: dict) -> dict:
        yt = self.deps.yt_client
        folder = self.config.folder

        def table(name: str) -> str:
            return f"{folder}/{name}"

        # UNION ALL of January and late orders.
        yt.union_tables(
            input_tables=[table("orders"), table("late_orders")], output_table=table("all_orders")
        )
        # A left join: every order, with its user's name (NULL for an unknown user).
        join: dict[str, Any] = {
            "left_table": table("all_orders"),
            "right_table": table("users"),
            "output_table": table("orders_named"),
            "on": "user_id",
            "how": "left",
            "select_columns": ["a.order_id", "a.amount", "b.name"],
        }
        self.logger.info("join_tables runs:\n%s", yt.join_tables(**join, dry_run=True))
        yt.join_tables(**join)
        # A join's output has no order: sort it by order id, then keep the big orders.
        yt.sort_table(
            input_table=table("orders_named"),
            output_table=table("orders_named_sorted"),
            order_by="order_id",
        )
        debug["big_orders"] = yt.filter_table(
            input_table=table("orders_named_sorted"),
            output_table=table("big_orders"),
            condition="amount >= 10",
        )
        # Keep and rename columns: {output name: input name}.
        yt.select_columns(
            input_table=table("users"),
            output_table=table("user_names"),
            columns={"user": "name", "user_id": "user_id"},
        )
        # Orders and money per user, then the two best customers.
        yt.group_by_aggregate(
            input_table=table("all_orders"),
            output_table=table("user_totals"),
            group_by="user_id",
            aggregations={"orders": ("count", "*"), "total": ("sum", "amount")},
        )
        yt.limit_table(
            input_table=table("user_totals"),
            output_table=table("top_users"),
            limit=2,
            order_by="total",
            descending=True,
        )
        # The countries users come from.
        yt.distinct(
            input_table=table("users"), output_table=table("countries"), columns=["country"]
        )
        return debug
