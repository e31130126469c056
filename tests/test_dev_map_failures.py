"""Dev map operations end to end: failing jobs, retries, memory limits, the operation config.

Every test writes a pipeline into ``tmp_path`` with a ``create`` stage that writes the input
table and a ``mapit`` stage that runs ``client.operations.map`` and records the
``OperationResult`` in ``//tmp/p/result``; the mapper is ``stages/mapit/src/mapper.py``.
Shared helpers live in ``dev_map_helpers.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from conftest import MakePipeline, assert_config_error, read_dev_table, stage_code
from dev_map_helpers import (
    EXIT_3_MAPPER,
    INPUT,
    OUTPUT,
    PADDED_ROWS,
    digest,
    failed,
    map_config,
    map_pipeline,
    ok,
    result_row,
    run,
    sandbox,
    set_map_config,
    set_mapper,
)

# --- failures -----------------------------------------------------------------------------


def test_failing_job_names_its_index_status_and_stderr_and_keeps_the_output(
    make_pipeline: MakePipeline,
) -> None:
    root = map_pipeline(
        make_pipeline, rows=PADDED_ROWS, config=map_config(resources={"job_count": 3})
    )
    ok(run(root))
    output = root / ".dev/output.jsonl"
    before = digest(output)

    set_mapper(
        root,
        """
import os
import sys
from ytjobs.io import read_rows, write_row

if os.environ["YT_JOB_INDEX"] == "1":
    for number in range(30):
        print(f"stderr-line-{number:02d}", file=sys.stderr)
    sys.exit(3)
for row in read_rows():
    write_row({"changed": True})
""",
    )
    stderr = failed(run(root, "--stage", "mapit"))

    assert f"map {INPUT} -> {OUTPUT} failed: job 1 exited with status 3" in stderr
    assert "stderr (last lines):" in stderr
    assert "stderr-line-29" in stderr
    assert "stderr-line-10" in stderr
    assert "stderr-line-09" not in stderr  # only the last 20 lines
    assert "the output tables are unchanged" in stderr
    assert digest(output) == before
    jobs_dir = sandbox(root) / ".ytflow_jobs" / "map"
    kept = (jobs_dir / "job_1.attempt_0.stderr").read_text()
    assert "stderr-line-00" in kept
    assert "stderr-line-29" in kept
    assert "kept in " in stderr
    assert ".dev/sandbox_input->output/.ytflow_jobs/map" in stderr


def test_operation_error_carries_exit_status_job_index_and_stderr_tail(
    make_pipeline: MakePipeline,
) -> None:
    stage = stage_code(
        """
        try:
            self.run_map(self.config.client.operations.map)
        except OperationError as error:
            self.deps.yt_client.write_table(
                table_path="//tmp/p/result",
                rows=[
                    {
                        "job_index": error.job_index,
                        "exit_status": error.exit_status,
                        "stderr_tail": error.stderr_tail,
                    }
                ],
            )
        """,
        imports="from ytflow import OperationError",
    )
    root = map_pipeline(make_pipeline, EXIT_3_MAPPER, stage=stage)

    ok(run(root))

    assert result_row(root) == {
        "job_index": 0,
        "exit_status": 3,
        "stderr_tail": [f"stderr-line-{number:02d}" for number in range(10, 30)],
    }


RETRY_MAPPER = """
import os
import sys
from pathlib import Path
from ytjobs.io import read_rows, write_row

for row in read_rows():
    write_row(row)
marker = Path(os.environ["TMPDIR"]) / "failed-once"
if not marker.exists():  # the first attempt writes every row, then fails
    marker.write_text("x")
    print("first attempt fails", file=sys.stderr)
    sys.exit(5)
"""


def test_a_job_that_fails_once_is_retried_within_max_failed_job_count(
    make_pipeline: MakePipeline,
) -> None:
    root = map_pipeline(make_pipeline, RETRY_MAPPER, config=map_config(max_failed_job_count=2))

    ok(run(root))

    assert read_dev_table(root, "output") == [{"i": i} for i in range(5)]
    assert result_row(root)["failed_jobs"] == 1
    jobs_dir = sandbox(root) / ".ytflow_jobs" / "map"
    assert "first attempt fails" in (jobs_dir / "job_0.attempt_0.stderr").read_text()
    assert (jobs_dir / "job_0.attempt_1.stderr").exists()

    # The sandbox (and its tmp) is fresh for every run, so with no retry allowed it fails.
    set_map_config(root, max_failed_job_count=1)
    stderr = failed(run(root, "--stage", "mapit"))

    assert "job 0 exited with status 5" in stderr
    assert "first attempt fails" in stderr
    assert "1 job attempt(s) failed (max_failed_job_count: 1)" in stderr
    assert read_dev_table(root, "output") == [{"i": i} for i in range(5)]


def test_memory_limit_kills_the_job(make_pipeline: MakePipeline) -> None:
    mapper = """
    import time

    data = bytearray(300 * 2**20)
    for offset in range(0, len(data), 4096):
        data[offset] = 1
    time.sleep(10)
    """
    root = map_pipeline(
        make_pipeline, mapper, config=map_config(resources={"memory_limit_gb": 0.05})
    )

    stderr = failed(run(root))

    assert "job 0 memory limit exceeded" in stderr
    assert "(resources.memory_limit_gb) is 51 MiB" in stderr
    assert not (root / ".dev/output.jsonl").exists()


def test_memory_of_processes_the_job_starts_counts_too(make_pipeline: MakePipeline) -> None:
    mapper = """
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-c", "import time; b = b'x' * (300 * 2**20); time.sleep(10)"],
        check=True,
    )
    """
    root = map_pipeline(
        make_pipeline, mapper, config=map_config(resources={"memory_limit_gb": 0.05})
    )

    stderr = failed(run(root))

    assert "job 0 memory limit exceeded" in stderr


# --- the operation config -----------------------------------------------------------------


def test_an_operation_node_without_output_table_is_a_config_error(
    make_pipeline: MakePipeline,
) -> None:
    stage = stage_code(
        f"""
        try:
            self.run_map({{"input_table": "{INPUT}"}})
        except ConfigError as error:
            self.deps.yt_client.write_table(
                table_path="//tmp/p/result", rows=[{{"error": str(error)}}]
            )
        self.run_map({{"input_table": "{INPUT}"}})
        """,
        imports="from ytflow import ConfigError",
    )
    root = map_pipeline(make_pipeline, stage=stage)

    stderr = failed(run(root))

    assert result_row(root) == {"error": "key 'output_table': is required but missing"}
    assert "ConfigError: key 'output_table': is required but missing" in stderr
    assert not sandbox(root).exists()


def test_stage_config_without_output_table_is_rejected_before_any_stage_runs(
    make_pipeline: MakePipeline,
) -> None:
    config = yaml.safe_dump({"client": {"operations": {"map": {"input_table": INPUT}}}})
    root = map_pipeline(make_pipeline, config=config)

    assert_config_error(
        run(root),
        "stages/mapit/config.yaml",
        "key 'client.operations.map.output_table': is required but missing",
    )
    assert not (root / ".dev/input.jsonl").exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("job_count", 0, "greater than or equal to 1"),
        ("cpu_limit", -1, "greater than 0"),
        ("memory_limit_gb", "lots", "valid number"),
    ],
)
def test_bad_resources_are_rejected_naming_the_key(
    make_pipeline: MakePipeline, key: str, value: Any, message: str
) -> None:
    root = map_pipeline(make_pipeline, config=map_config(resources={key: value}))

    assert_config_error(
        run(root),
        "stages/mapit/config.yaml",
        f"key 'client.operations.map.resources.{key}'",
        message,
        repr(value),
    )


def test_docker_image_is_noted_once_and_other_resources_are_accepted(
    make_pipeline: MakePipeline,
) -> None:
    resources = {
        "pool": "research",
        "cpu_limit": 0.5,
        "memory_limit_gb": 2,
        "gpu_limit": 0,
        "docker_image": "registry.example/jobs:1.2",
    }
    config = map_config(resources=resources) + yaml.safe_dump(
        {
            "second_map": {
                "input_table": INPUT,
                "output_table": "//tmp/p/copy",
                "resources": resources,
            }
        }
    )
    stage = stage_code(
        """
        self.run_map(self.config.client.operations.map)
        self.run_map(self.config.second_map)
        """
    )
    root = map_pipeline(make_pipeline, config=config, stage=stage)

    result = ok(run(root))

    log = (root / ".dev/operation.log").read_text()
    for text in (result.stderr, log):
        assert text.count("dev runs jobs with the local interpreter (") == 1, text
        assert text.count("docker_image registry.example/jobs:1.2 applies in prod") == 1, text
    assert read_dev_table(root, "output") == read_dev_table(root, "copy")
    assert len(read_dev_table(root, "copy")) == 5


def test_input_table_must_exist(make_pipeline: MakePipeline) -> None:
    root = map_pipeline(make_pipeline, config=map_config(input_table="//tmp/p/missing"))

    stderr = failed(run(root))

    assert "Error resolving path //tmp/p/missing: table does not exist" in stderr
    assert not sandbox(root, "missing->output").exists()
