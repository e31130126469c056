"""Every example under examples/ runs through the real CLI and produces the rows we expect."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
YTFLOW = str(Path(sys.executable).with_name("ytflow"))

EXPECTED: dict[str, dict[str, list[dict[str, object]]]] = {
    "01_hello_world": {
        "greetings": [
            {"name": "Alice", "text": "Hello, Alice!"},
            {"name": "Bob", "text": "Hello, Bob!"},
        ],
    },
    "02_multi_stage": {
        "users": [
            {"user_id": 1, "name": "Alice", "country": "NL"},
            {"user_id": 2, "name": "Bob", "country": "DE"},
            {"user_id": 3, "name": "Carol", "country": "NL"},
            {"user_id": 4, "name": "Dave", "country": "FR"},
        ],
        "user_totals": [
            {"user_id": 1, "name": "Alice", "orders": 3, "total_amount": 33},
            {"user_id": 2, "name": "Bob", "orders": 3, "total_amount": 63},
            {"user_id": 3, "name": "Carol", "orders": 3, "total_amount": 93},
            {"user_id": 4, "name": "Dave", "orders": 3, "total_amount": 123},
        ],
    },
    # Tables whose row order the queries fix; the unordered ones (union, join, group-by,
    # distinct, the report) are compared as multisets in tests/test_yql_dev_statements.py.
    "03_yql": {
        "orders_named_sorted": [
            {"order_id": 101, "amount": 30, "name": "Alice"},
            {"order_id": 102, "amount": 12, "name": "Bob"},
            {"order_id": 103, "amount": 5, "name": "Alice"},
            {"order_id": 104, "amount": 50, "name": "Carol"},
            {"order_id": 105, "amount": 8, "name": None},
        ],
        "big_orders": [
            {"order_id": 101, "amount": 30, "name": "Alice"},
            {"order_id": 102, "amount": 12, "name": "Bob"},
            {"order_id": 104, "amount": 50, "name": "Carol"},
        ],
        "user_names": [
            {"user": "Alice", "user_id": 1},
            {"user": "Bob", "user_id": 2},
            {"user": "Carol", "user_id": 3},
        ],
        "top_users": [
            {"user_id": 3, "orders": 1, "total": 50},
            {"user_id": 1, "orders": 2, "total": 35},
        ],
        "report_tiers": [
            {"name": "Carol", "total": 50, "tier": "gold"},
            {"name": "Alice", "total": 35, "tier": "gold"},
            {"name": "Bob", "total": 12, "tier": "regular"},
            {"name": "user 4", "total": 8, "tier": "regular"},
        ],
    },
    "04_map_job_config": {
        "enriched": [
            {"event_id": i, "user_id": i % 3, "amount": 2.5 * i, "currency": "EUR"}
            for i in range(1, 7)
        ],
        "vip_events": [
            {"event_id": 2, "user_id": 2, "amount": 5.0, "currency": "EUR"},
            {"event_id": 5, "user_id": 2, "amount": 12.5, "currency": "EUR"},
        ],
    },
    "05_vanilla": {},
    "06_word_count": {
        "counts": [
            {"word": word, "count": count}
            for word, count in [
                ("brown", 1),
                ("dog", 2),
                ("fox", 1),
                ("jumps", 1),
                ("lazy", 1),
                ("over", 1),
                ("quick", 1),
                ("sleeps", 1),
                ("the", 3),
            ]
        ],
    },
    "07_sort_reduce": {
        "sales_sorted": [
            {"region": "east", "amount": 5},
            {"region": "east", "amount": 8},
            {"region": "north", "amount": 1},
            {"region": "west", "amount": 7},
            {"region": "west", "amount": 10},
        ],
        "totals": [
            {"region": "east", "sales": 2, "total": 13, "max": 8},
            {"region": "north", "sales": 1, "total": 1, "max": 1},
            {"region": "west", "sales": 2, "total": 17, "max": 10},
        ],
    },
}

# Logs an example must write (file under .dev/ -> lines it must contain).
EXPECTED_LOGS: dict[str, dict[str, list[str]]] = {
    "05_vanilla": {
        "train.log": [
            f"[train#{worker}] worker {worker}: {what}"
            for worker in (0, 1)
            for what in ("epoch 0 done", "epoch 1 done", "finished")
        ],
    },
}


def _read(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_every_example_has_expected_rows() -> None:
    found = sorted(path.name for path in EXAMPLES.iterdir() if (path / "pipeline.py").is_file())
    assert found == sorted(EXPECTED), "add the new example's expected rows to EXPECTED"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_through_the_cli(name: str, tmp_path: Path) -> None:
    example = tmp_path / name
    shutil.copytree(EXAMPLES / name, example, ignore=shutil.ignore_patterns(".dev"))
    result = subprocess.run(
        [YTFLOW, "run", str(example)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for table, rows in EXPECTED[name].items():
        assert _read(example / ".dev" / f"{table}.jsonl") == rows
    for log, lines in EXPECTED_LOGS.get(name, {}).items():
        written = (example / ".dev" / log).read_text().splitlines()
        assert sorted(written) == sorted(lines)


def test_example_runs_as_python_pipeline_py(tmp_path: Path) -> None:
    example = tmp_path / "02_multi_stage"
    shutil.copytree(EXAMPLES / "02_multi_stage", example, ignore=shutil.ignore_patterns(".dev"))
    result = subprocess.run(
        [sys.executable, str(example / "pipeline.py")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    orders = _read(example / ".dev" / "orders.jsonl")
    assert len(orders) == 12
    assert [order["order_id"] for order in orders] == list(range(101, 113))
