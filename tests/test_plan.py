"""``ytflow plan`` on every example: a complete prod plan, offline, with secrets masked.

Each example is copied to ``tmp_path`` with ``mode: prod`` (when it has a build_folder) and a
``secrets.env`` holding a token and a job secret, then planned by the real CLI in a process
where importing ``yt`` fails: the plan must need neither ytsaurus-client nor a cluster.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, run_python

from ytflow.bundle import build_bundle

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TOKEN = "token-never-shown-42"
API_KEY = "api-key-never-shown-17"
SECRETS_ENV = f"YT_PROXY=http://127.0.0.1:9\nYT_TOKEN={TOKEN}\nMY_API_KEY={API_KEY}\n"
JOB_FORMAT = "<encode_utf8=%false>json"
# Credentials in the caller's environment would win over secrets.env: blank them.
NO_ENV_CREDENTIALS = {"YT_PROXY": "", "YT_TOKEN": ""}

# Plans a pipeline through the CLI with `yt` unimportable, then checks it was never loaded.
PLAN_WITHOUT_YT = """
import importlib.abc, sys

class BlockYt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "yt" or name.startswith("yt."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, BlockYt())
sys.argv = ["ytflow", "plan", *sys.argv[1:]]
from ytflow.cli.app import app
try:
    app()
except SystemExit as done:
    assert not any(name == "yt" or name.startswith("yt.") for name in sys.modules)
    raise
"""

# Per example: (operation type, stage) in call order, and how many YQL texts.
EXPECTED_OPS: dict[str, tuple[list[tuple[str, str]], int]] = {
    "01_hello_world": ([], 0),
    "02_multi_stage": ([], 0),
    "03_yql": ([], 9),
    "04_map_job_config": ([("map", "enrich")], 0),
    "05_vanilla": ([("vanilla", "train")], 0),
    "06_word_count": ([("map_reduce", "count_words")], 0),
    "07_sort_reduce": ([("sort", "sort_sales"), ("reduce", "total_by_region")], 0),
}


def _copy_example(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns(".dev"))
    config = root / "configs" / "config.yaml"
    text = config.read_text(encoding="utf-8")
    if "build_folder" in text:
        config.write_text(text.replace("mode: dev", "mode: prod"), encoding="utf-8")
    (root / "configs" / "secrets.env").write_text(SECRETS_ENV, encoding="utf-8")
    return root


def _operations(plan: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (step["type"], stage["name"], step["spec"])
        for stage in plan["stages"]
        for step in stage["steps"]
        if "spec" in step
    ]


def _check_job(job: dict[str, Any], target: str) -> None:
    assert job["file_paths"] == [f'<file_name="ytflow_bundle.tar.gz">{target}']
    assert job["input_format"] == job["output_format"] == JOB_FORMAT
    assert "MY_API_KEY" not in json.dumps(job["environment"])
    assert "tar -xzf ytflow_bundle.tar.gz" in job["command"]


@pytest.mark.parametrize("example", sorted(EXPECTED_OPS))
def test_every_example_plans_offline_with_secrets_masked(example: str, tmp_path: Path) -> None:
    root = _copy_example(example, tmp_path)
    result = run_python("-c", PLAN_WITHOUT_YT, root, "--format", "json", env=NO_ENV_CREDENTIALS)
    assert result.returncode == 0, result.stderr
    for secret in (TOKEN, API_KEY):
        assert secret not in result.stdout + result.stderr
    plan = json.loads(result.stdout)

    bundle = build_bundle(root, output_dir=tmp_path / "expected_bundle")
    assert plan["bundle"]["sha256"] == bundle.digest
    assert plan["bundle"]["size"] == bundle.size
    assert plan["bundle"]["files"] == list(bundle.files)
    assert "configs/secrets.env" not in plan["bundle"]["files"]
    build_folder = plan["build_folder"]
    target = f"{build_folder}/bundle-{bundle.digest}.tar.gz" if build_folder else None
    assert plan["bundle"]["upload_target"] == target
    assert plan["credentials"]["YT_TOKEN"] == {"source": "configs/secrets.env", "value": "***"}
    assert plan["secure_vault"] == {"MY_API_KEY": "***"}

    expected_ops, yql_count = EXPECTED_OPS[example]
    operations = _operations(plan)
    assert [(kind, stage) for kind, stage, _ in operations] == expected_ops
    for kind, stage, spec in operations:
        assert spec["title"].startswith(f"ytflow {example}/{stage}: {kind}")
        jobs = {
            "map": lambda s: [s["mapper"]],
            "reduce": lambda s: [s["reducer"]],
            "map_reduce": lambda s: [s["mapper"], s["reducer"]],
            "vanilla": lambda s: list(s["tasks"].values()),
            "sort": lambda s: [],
        }[kind](spec)
        for job in jobs:
            _check_job(job, target or "")
        assert ("secure_vault" in spec) == (kind != "sort")
        if kind != "sort":
            assert spec["secure_vault"] == {"MY_API_KEY": "***"}
    yql = [step["yql"] for stage in plan["stages"] for step in stage["steps"] if "yql" in step]
    assert len(yql) == yql_count
    assert all(stage["error"] is None for stage in plan["stages"])
    assert all(not stage["not_called_offline"] for stage in plan["stages"])


def test_example_specs_map_the_config(tmp_path: Path) -> None:
    """Resources and operation settings of the examples reach the spec as YT names them."""
    plans = {
        name: json.loads(run_cli("plan", _copy_example(name, tmp_path), "-f", "json").stdout)
        for name in ("04_map_job_config", "05_vanilla", "06_word_count")
    }
    (_, _, map_spec), *_ = _operations(plans["04_map_job_config"])
    assert map_spec["input_table_paths"] == ["//tmp/map_example/events"]
    assert map_spec["output_table_paths"] == [
        "//tmp/map_example/enriched",
        "//tmp/map_example/vip_events",
    ]
    assert map_spec["mapper"]["memory_limit"] == 2**30  # memory_limit_gb: 1
    assert (map_spec["job_count"], map_spec["ordered"], map_spec["max_failed_job_count"]) == (
        2,
        True,
        1,
    )
    assert map_spec["mapper"]["command"].endswith("python3 _ytflow_launch.py enrich src/mapper.py")
    (_, _, vanilla), *_ = _operations(plans["05_vanilla"])
    assert vanilla["tasks"]["train"]["job_count"] == 2
    (_, _, map_reduce), *_ = _operations(plans["06_word_count"])
    assert (map_reduce["reduce_by"], map_reduce["sort_by"]) == (["word"], ["word"])
    assert (map_reduce["map_job_count"], map_reduce["partition_count"]) == (2, 2)


def test_text_plan_of_the_yql_example(tmp_path: Path) -> None:
    root = _copy_example("03_yql", tmp_path)
    result = run_cli("plan", root, env=NO_ENV_CREDENTIALS)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert TOKEN not in out and API_KEY not in out
    assert "YT_TOKEN: *** (from configs/secrets.env)" in out
    assert "YT_PROXY: http://127.0.0.1:9 (from configs/secrets.env)" in out
    assert "secure vault (jobs read it with ytjobs.secrets.get): MY_API_KEY=***" in out
    assert "INSERT INTO `//tmp/yql_example/big_orders` WITH TRUNCATE" in out
    assert "WHERE amount >= 10;" in out
    assert "read_table //" not in out  # the example reads nothing in Python
    assert "write_table //tmp/yql_example/users -> 3 row(s) written (offline)" in out
    assert "What a plan cannot know offline" in out


def test_yaml_plan_prints_specs_with_yson_text(tmp_path: Path) -> None:
    result = run_cli("plan", _copy_example("07_sort_reduce", tmp_path), "--format", "yaml")
    assert result.returncode == 0, result.stderr
    assert "input_format: <encode_utf8=%false>json" in result.stdout
    assert "output_table_path: //tmp/sort_reduce/sales_sorted" in result.stdout
    assert TOKEN not in result.stdout and API_KEY not in result.stdout


def test_help_describes_the_command() -> None:
    result = run_cli("plan", "--help")
    assert result.returncode == 0, result.stderr
    for fragment in ("Prod dry run", "--config", "--format", "no secrets.env", "Exit 0"):
        assert fragment in result.stdout
    assert "plan" in run_cli("--help").stdout


def test_every_example_pipeline_is_planned_here() -> None:
    examples = {path.parent.name for path in EXAMPLES.glob("*/pipeline.py")}
    assert examples == set(EXPECTED_OPS)
