"""How long dev takes to translate YQL to DuckDB SQL, against sqlglot's own parse and generate
of the same queries written in DuckDB's SQL (the raw tool dev's translator is built on).

``python -m bench.yql_translate`` prints milliseconds per script for two 200-line scripts:
``one-line`` (100 ``$name = value;`` definitions and 100 one-line SELECTs: the most
statements 200 lines can hold) and ``typical`` (ten 20-line statements with joins, CASE,
GROUP BY ... AS, named subqueries). ``--ours``/``--raw`` translate the one-line script
``--times`` times, for ``python -m bench``'s T1 row.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from sqlglot.dialects.duckdb import DuckDB

from ytflow.yql.ast import AstTranslator

_SELECT = (
    "SELECT `Group`, COUNT(*), CAST(id AS String) FROM `//t/u` WHERE id > $v{i} "
    "GROUP BY `Group`, id;"
)
_RAW_SELECT = (
    'SELECT "Group", COUNT(*), CAST(id AS TEXT) FROM t WHERE id > {i} GROUP BY "Group", id;'
)
_TYPICAL = """\
$active_{i} = SELECT user_id, COUNT(*) AS events
    FROM `//home/p/events`
    WHERE kind == "click" AND ts >= {i}
    GROUP BY user_id;
INSERT INTO `//home/p/report_{i}` WITH TRUNCATE
SELECT
    u.country AS country,
    CASE
        WHEN a.events >= 100 THEN "heavy"
        WHEN a.events >= 10 THEN "regular"
        ELSE "light"
    END AS segment,
    COUNT(*) AS users,
    SUM(a.events) AS events,
    AVG(CAST(u.age AS Double)) AS mean_age
FROM $active_{i} AS a
JOIN `//home/p/users` AS u ON a.user_id == u.id
WHERE u.country IS NOT NULL
GROUP BY u.country, a.events / 10 AS decile
ORDER BY country;"""


def scripts() -> dict[str, str]:
    """The two 200-line scripts, by name."""
    one_line = [f"$v{i} = {i};" for i in range(100)] + [_SELECT.format(i=i) for i in range(100)]
    typical = "\n".join(_TYPICAL.format(i=i) for i in range(10))
    return {"one-line": "\n".join(one_line), "typical": typical}


def _raw_text() -> str:
    return "\n".join(_RAW_SELECT.format(i=i) for i in range(100))


def ours(text: str) -> Callable[[], object]:
    return lambda: AstTranslator(lambda _path, _line: '"t"').script(text)


def raw(text: str) -> Callable[[], object]:
    dialect = DuckDB()
    return lambda: [dialect.generate(tree) for tree in dialect.parse(text) if tree is not None]


def best_ms(run: Callable[[], object], repeat: int = 15) -> float:
    """The fastest of ``repeat`` runs after a warm-up, in milliseconds."""
    run()
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.yql_translate", description=__doc__)
    parser.add_argument("--ours", action="store_true", help="translate, --times times")
    parser.add_argument("--raw", action="store_true", help="sqlglot on DuckDB SQL, --times times")
    parser.add_argument("--times", type=int, default=50)
    args = parser.parse_args()
    if args.ours or args.raw:
        run = ours(scripts()["one-line"]) if args.ours else raw(_raw_text())
        for _ in range(args.times):
            run()
        return
    for name, text in scripts().items():
        lines = len(text.splitlines())
        print(f"{name}: {lines} lines, dev translation {best_ms(ours(text)):.1f} ms")
    raw_ms = best_ms(raw(_raw_text()))
    print(f"raw sqlglot, the one-line script's 100 SELECTs in DuckDB SQL: {raw_ms:.1f} ms")


if __name__ == "__main__":
    main()
