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
