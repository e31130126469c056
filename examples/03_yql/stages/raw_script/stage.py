"""A raw multi-statement YQL script: named expressions, INSERT ... WITH TRUNCATE, an appending
INSERT, and a final SELECT whose rows come back to Python."""

from ytflow import Stage

SCRIPT = """\
PRAGMA yt.InferSchema;
$gold = {gold_total};
$totals = (
    SELECT user_id, SUM(amount) AS total, COUNT(*) AS orders
    FROM `{folder}/all_orders`
    GROUP BY user_id
);

-- users we know: replace the report
INSERT INTO `{folder}/report` WITH TRUNCATE
SELECT u.name AS name, t.total AS total, t.orders AS orders
FROM $totals AS t
JOIN `{folder}/users` AS u ON t.user_id == u.user_id;
COMMIT;

-- orders of users we do not know: appended to the same report
INSERT INTO `{folder}/report`
SELECT "user " || CAST(t.user_id AS String) AS name, t.total AS total, t.orders AS orders
FROM $totals AS t
WHERE t.user_id NOT IN (SELECT user_id FROM `{folder}/users`);
COMMIT;

SELECT name, total, IF(total >= $gold, "gold", "regular") AS tier
FROM `{folder}/report`
ORDER BY total DESC;
"""


class RawScript(Stage):
    def run(self, debug: dict) -> dict:
        yt = self.deps.yt_client
        folder = self.config.folder
        rows = yt.run_yql(SCRIPT.format(folder=folder, gold_total=self.config.gold_total))
        yt.write_table(table_path=f"{folder}/report_tiers", rows=rows)
        debug["report_rows"] = len(rows)
        return debug
