"""How ``ytflow plan`` treats stage code: computed arguments, failures, unused configs, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import MakePipeline, assert_config_error, run_cli, stage_code

MAPPER = "import sys\nfor line in sys.stdin:\n    sys.stdout.write(line)\n"
PROD_CONFIG = """\
pipeline:
  mode: prod
  build_folder: //tmp/p/build
stages:
  enabled_stages: [{stages}]
"""


def _plan(root: Path) -> dict[str, Any]:
    return _plan_args(root)


def _plan_args(root: Path, *args: str) -> dict[str, Any]:
    result = run_cli("plan", root, "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _stage(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(stage for stage in plan["stages"] if stage["name"] == name)


def _specs(stage: dict[str, Any]) -> list[dict[str, Any]]:
    return [step["spec"] for step in stage["steps"] if "spec" in step]


def test_operations_built_from_computed_arguments_are_planned(make_pipeline: MakePipeline):
    days = stage_code('debug["days"] = ["2024-01-01", "2024-01-02"]')
    per_day = stage_code(
        """
        base = self.config.client.operations.map.to_dict()
        for day in debug["days"]:
            self.run_map({**base, "output_table": f"//tmp/p/out/{day}",
                          "resources": {"job_count": len(day)}})
        if self.deps.yt_client.row_count("//tmp/p/out/2024-01-01") > 0:
            self.run_reduce(self.config.client.operations.reduce)
        """
    )
    root = make_pipeline(
        {"days": days, "per_day": per_day},
        config=PROD_CONFIG.format(stages="days, per_day"),
        stage_configs={
            "per_day": """\
                client:
                  operations:
                    map: {input_table: //tmp/p/in, output_table: //tmp/p/placeholder}
                    reduce: {input_table: //tmp/p/out/2024-01-01, output_table: //tmp/p/r,
                             reduce_by: k}
                """
        },
        files={"stages/per_day/src/mapper.py": MAPPER, "stages/per_day/src/reducer.py": MAPPER},
    )
    stage = _stage(_plan(root), "per_day")
    specs = _specs(stage)
    assert [spec["output_table_paths"] for spec in specs] == [
        ["//tmp/p/out/2024-01-01"],
        ["//tmp/p/out/2024-01-02"],
    ]
    assert [spec["job_count"] for spec in specs] == [10, 10]
    assert {"call": "row_count //tmp/p/out/2024-01-01", "offline_answer": "0"} in stage["steps"]
    # The reduce depends on a row count only the cluster knows: listed, specced from config.
    (unused,) = stage["not_called_offline"]
    assert unused["config_key"] == "client.operations.reduce"
    assert unused["type"] == "reduce"
    assert unused["spec"]["reduce_by"] == ["k"]
    assert unused["spec"]["reducer"]["command"].endswith("_ytflow_launch.py per_day src/reducer.py")
    text = run_cli("plan", root).stdout
    assert "in the config, not called offline: client.operations.reduce" in text


def test_a_failing_stage_is_planned_up_to_its_error_and_the_next_one_runs(
    make_pipeline: MakePipeline,
):
    first = stage_code(
        """
        self.deps.yt_client.write_table(table_path="//tmp/p/a", rows=[{"x": 1}])
        rows = list(self.deps.yt_client.read_table("//tmp/p/a"))
        debug["first_x"] = rows[0]["x"]  # no rows offline: IndexError
        """
    )
    missing_script = stage_code(
        'self.run_map({"input_table": "//tmp/p/a", "output_table": "//tmp/p/b",'
        ' "mapper": "src/nope.py"})'
    )
    last = stage_code(
        'self.run_sort({"input_table": "//tmp/p/a", "output_table": "//tmp/p/s", "sort_by": "x"})'
    )
    root = make_pipeline(
        {"first": first, "missing_script": missing_script, "last": last},
        config=PROD_CONFIG.format(stages="first, missing_script, last"),
    )
    result = run_cli("plan", root)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "write_table //tmp/p/a -> 1 row(s) written (offline)" in out
    assert "planned up to here: IndexError: list index out of range" in out
    assert (
        "planned up to here: OperationError: job script stages/missing_script/src/nope.py "
        "is not in the code bundle"
    ) in out
    assert "operation 1: sort //tmp/p/a -> //tmp/p/s" in out
    plan = _plan(root)
    assert _stage(plan, "first")["error"].startswith("IndexError")
    assert _stage(plan, "last")["error"] is None


def test_missing_build_folder_is_said_with_what_to_set(make_pipeline: MakePipeline):
    mapper_stage = stage_code(
        'self.run_map({"input_table": "//tmp/p/a", "output_table": "//tmp/p/b"})'
    )
    root = make_pipeline({"m": mapper_stage}, files={"stages/m/src/mapper.py": MAPPER})
    result = run_cli("plan", root)
    assert result.returncode == 0, result.stderr
    assert "upload target: unknown: pipeline.build_folder is not set in configs/config.yaml" in (
        result.stdout
    )
    assert "//tmp/pipe/build" in result.stdout
    plan = _plan(root)
    assert plan["bundle"]["upload_target"] is None
    (spec,) = _specs(_stage(plan, "m"))
    digest = plan["bundle"]["sha256"]
    assert spec["mapper"]["file_paths"] == [
        f'<file_name="ytflow_bundle.tar.gz">$BUILD_FOLDER/bundle-{digest}.tar.gz'
    ]


def test_prod_mode_without_build_folder_is_a_config_error(make_pipeline: MakePipeline):
    root = make_pipeline(
        {"s": stage_code()}, config="pipeline:\n  mode: prod\nstages:\n  enabled_stages: [s]\n"
    )
    assert_config_error(run_cli("plan", root), "configs/config.yaml", "build_folder")


def test_a_bad_operation_config_is_a_config_error(make_pipeline: MakePipeline):
    root = make_pipeline(
        {"s": stage_code()},
        stage_configs={"s": "client:\n  operations:\n    map: {input_table: //tmp/p/a}\n"},
    )
    assert_config_error(run_cli("plan", root), "stages/s/config.yaml", "output_table")


def test_prod_needs_no_secrets_env_and_a_secret_a_stage_prints_is_masked(
    make_pipeline: MakePipeline,
):
    leaky = stage_code(
        """
        secret = Path(self.stage_dir, "../../configs/secrets.env").read_text().split("=")[-1]
        self.logger.info("using %s", secret.strip())
        self.deps.yt_client.run_yql(f"SELECT '{secret.strip()}' AS s;")
        """,
        imports="from pathlib import Path",
    )
    root = make_pipeline({"leaky": leaky}, config=PROD_CONFIG.format(stages="leaky"))
    assert run_cli("plan", root).returncode == 0  # no secrets.env: the stage fails, plan goes on
    (root / "configs" / "secrets.env").write_text("API_KEY=very-secret-value\n")
    for output_format in ("text", "json", "yaml"):
        result = run_cli("plan", root, "--format", output_format)
        assert result.returncode == 0, result.stderr
        assert "very-secret-value" not in result.stdout + result.stderr
        assert "SELECT '***' AS s;" in result.stdout
        assert "using ***" in result.stdout


def test_config_option_picks_another_config(make_pipeline: MakePipeline):
    root = make_pipeline(
        {"a": stage_code(), "b": stage_code('self.deps.yt_client.exists("//tmp/p/x")')},
        files={"configs/only_b.yaml": "stages:\n  enabled_stages: [b]\n"},
    )
    plan = _plan_args(root, "--config", "configs/only_b.yaml")
    assert plan["config_file"] == "configs/only_b.yaml"
    assert [stage["name"] for stage in plan["stages"]] == ["b"]
    assert plan["stages"][0]["steps"] == [{"call": "exists //tmp/p/x", "offline_answer": "False"}]


def test_credentials_in_yt_config_are_masked(make_pipeline: MakePipeline):
    config = PROD_CONFIG.format(stages="s").replace(
        "  build_folder:",
        "  yt_config: {token: tok-in-config-1, proxy: {retries: {count: 3}}}\n  build_folder:",
    )
    root = make_pipeline({"s": stage_code()}, config=config)
    plan = _plan(root)
    assert plan["yt_config"] == {"token": "***", "proxy": {"retries": {"count": 3}}}
    assert "tok-in-config-1" not in run_cli("plan", root).stdout


def test_every_resource_lands_where_docs_prod_md_says(make_pipeline: MakePipeline):
    resources = (
        "{pool: batch, pool_tree: physical, memory_limit_gb: 0.5, cpu_limit: 2,"
        " gpu_limit: 1, job_count: 3, docker_image: 'registry.example.net/jobs:1'}"
    )
    root = make_pipeline(
        {"s": stage_code("self.run_map(self.config.client.operations.map)")},
        config=PROD_CONFIG.format(stages="s"),
        stage_configs={
            "s": f"""\
                client:
                  operations:
                    map: {{input_table: //tmp/p/a, output_table: [//tmp/p/b, //tmp/p/c],
                          append: true, max_failed_job_count: 4, time_limit_seconds: 90,
                          resources: {resources}}}
                """
        },
        files={"stages/s/src/mapper.py": MAPPER},
    )
    (spec,) = _specs(_stage(_plan(root), "s"))
    assert (spec["pool"], spec["pool_trees"]) == ("batch", ["physical"])
    assert spec["output_table_paths"] == ["<append=%true>//tmp/p/b", "<append=%true>//tmp/p/c"]
    assert (spec["job_count"], spec["max_failed_job_count"], spec["time_limit"]) == (3, 4, 90_000)
    mapper = spec["mapper"]
    assert mapper["memory_limit"] == 2**29
    assert (mapper["cpu_limit"], mapper["gpu_limit"]) == (2, 1)
    assert mapper["docker_image"] == "registry.example.net/jobs:1"
