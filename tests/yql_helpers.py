"""Shared data and helpers of the dev YQL engine tests (test_yql_dev_statements.py and
test_yql_dev_helpers.py): two small tables, a ``DevClient`` holding them, row readers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ytflow.dev.client import DevClient

ROOT = Path(__file__).resolve().parents[1]

USERS = [
    {"user_id": 1, "name": "Alice", "country": "NL"},
    {"user_id": 2, "name": "Bob", "country": "DE"},
    {"user_id": 3, "name": "Carol", "country": "NL"},
    {"user_id": 4, "name": "Dave", "country": None},
]
ORDERS = [
    {"order_id": 10, "user_id": 1, "amount": 5},
    {"order_id": 11, "user_id": 1, "amount": 10},
    {"order_id": 12, "user_id": 2, "amount": 7},
    {"order_id": 13, "user_id": 9, "amount": 1},
]


def seeded_client(tmp_path: Path) -> DevClient:
    """A ``DevClient`` under ``tmp_path / ".dev"`` holding ``//p/users`` and ``//p/orders``."""
    client = DevClient(tmp_path / ".dev")
    client.write_table("//p/users", USERS)
    client.write_table("//p/orders", ORDERS)
    return client


def rows_of(yt: DevClient, path: str) -> list[dict[str, Any]]:
    return list(yt.read_table(path))


def multiset(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True) for row in rows)
