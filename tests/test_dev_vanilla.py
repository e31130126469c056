"""Dev vanilla operations end to end: real pipelines, real ``ytflow run``, real job processes.

Every test writes a pipeline with one stage, ``train``, that runs
``client.operations.vanilla`` from its config.yaml and records the ``OperationResult`` in
``//tmp/v/result``; the job script is ``stages/train/src/vanilla.py`` unless said otherwise.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import MakePipeline, read_dev_table, run_cli, run_python, stage_code

STAGE = stage_code(
    """
    result = self.run_vanilla(self.config.client.operations.vanilla)
    self.deps.yt_client.write_table(
        table_path="//tmp/v/result",
        rows=[{"jobs": result.jobs, "failed_jobs": result.failed_jobs, "rows": result.row_count}],
    )
    """
)
SCRIPT = "stages/train/src/vanilla.py"
SECRETS_ENV = "YT_PROXY=proxy.example\nYT_TOKEN=tok-123456\nMY_API_KEY=s3cret\n"


def vanilla_config(**fields: Any) -> str:
    return yaml.safe_dump({"client": {"operations": {"vanilla": fields}}}, sort_keys=False)


def vanilla_pipeline(
    make_pipeline: MakePipeline,
    script: str | None = None,
    *,
    config: str | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    all_files = dict(files or {})
    if script is not None:
        all_files[SCRIPT] = script
    return make_pipeline(
        {"train": STAGE},
        stage_configs={"train": config if config is not None else vanilla_config()},
        files=all_files,
    )


def run(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("run", root, *args, env=env)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr)
    return result.stderr


def log_lines(root: Path) -> list[str]:
    return (root / ".dev/train.log").read_text().splitlines()


def result_row(root: Path) -> dict[str, Any]:
    (row,) = read_dev_table(root, "result")
    return row


def test_runs_src_vanilla_py_in_its_sandbox_and_logs_stdout_and_stderr(
    make_pipeline: MakePipeline,
) -> None:
    script = """
    import os
    import sys

    print("to stdout")
    print("to stderr", file=sys.stderr)
    print("cwd", os.getcwd())
    """
    root = vanilla_pipeline(make_pipeline, script)
    box = root / ".dev/train_sandbox"
    box.mkdir(parents=True)
    (box / "stray.txt").write_text("left over")

    result = run_python("pipeline.py", cwd=root)

    assert result.returncode == 0, result.stderr
    assert not (box / "stray.txt").exists()
    assert (box / "_ytflow_launch.py").is_file()
    assert (box / "stages/train/src/vanilla.py").is_file()
    assert (box / "ytjobs/io.py").is_file()
    lines = log_lines(root)
    assert lines[:2] == ["to stdout", "to stderr"]
    assert lines[2].startswith("cwd ")
    assert Path(lines[2].removeprefix("cwd ")).resolve() == box.resolve()
    assert "[train] to stdout" in result.stderr
    assert "[train] to stderr" in result.stderr
    assert result_row(root) == {"jobs": 1, "failed_jobs": 0, "rows": 0}


def test_job_count_runs_copies_each_told_its_cookie(make_pipeline: MakePipeline) -> None:
    script = """
    import os

    print("worker", os.environ["YT_JOB_COOKIE"])
    """
    root = vanilla_pipeline(
        make_pipeline, script, config=vanilla_config(resources={"job_count": 3})
    )

    result = ok(run(root))

    assert sorted(log_lines(root)) == [f"[train#{index}] worker {index}" for index in range(3)]
    for index in range(3):
        assert f"[train#{index}] worker {index}" in result.stderr
    assert result_row(root) == {"jobs": 3, "failed_jobs": 0, "rows": 0}


def test_a_command_that_is_not_a_script_runs_through_the_shell(
    make_pipeline: MakePipeline,
) -> None:
    root = vanilla_pipeline(
        make_pipeline,
        config=vanilla_config(command="echo hello-from-shell; echo cookie=$YT_JOB_COOKIE"),
    )

    result = ok(run(root))

    assert log_lines(root) == ["hello-from-shell", "cookie=0"]
    assert "[train] hello-from-shell" in result.stderr


def test_a_missing_script_is_an_error_before_any_job_runs(make_pipeline: MakePipeline) -> None:
    root = vanilla_pipeline(make_pipeline, config=vanilla_config(command="src/no_such.py"))

    stderr = failed(run(root))

    assert "vanilla script stages/train/src/no_such.py is not in the code bundle" in stderr
    assert not (root / ".dev/train.log").exists()


def test_a_failing_job_is_named_with_its_last_output_lines(make_pipeline: MakePipeline) -> None:
    script = """
    import os
    import sys

    index = os.environ["YT_JOB_COOKIE"]
    if index == "1":
        for number in range(30):
            print(f"output-line-{number:02d}")
        print("about to fail", file=sys.stderr)
        sys.exit(4)
    print("worker", index, "fine")
    """
    root = vanilla_pipeline(
        make_pipeline, script, config=vanilla_config(resources={"job_count": 2})
    )

    stderr = failed(run(root))

    assert "vanilla src/vanilla.py failed: job 1 exited with status 4" in stderr
    assert "    about to fail" in stderr
    assert "    output-line-29" in stderr
    assert "    output-line-00" not in stderr  # only the last lines
    assert "the full output is in " in stderr
    assert "/.dev/train.log" in stderr
    lines = log_lines(root)
    assert "[train#1] output-line-00" in lines
    assert "[train#1] about to fail" in lines
    assert not (root / ".dev/result.jsonl").exists()


RETRY_SCRIPT = """
import os
import sys
from pathlib import Path

marker = Path(os.environ["TMPDIR"]) / "failed-once"
if not marker.exists():
    marker.write_text("x")
    print("first attempt fails")
    sys.exit(6)
print("second attempt works")
"""


def test_retries_honour_max_failed_job_count(make_pipeline: MakePipeline) -> None:
    root = vanilla_pipeline(
        make_pipeline, RETRY_SCRIPT, config=vanilla_config(max_failed_job_count=2)
    )

    ok(run(root))

    assert log_lines(root) == ["first attempt fails", "second attempt works"]
    assert result_row(root) == {"jobs": 1, "failed_jobs": 1, "rows": 0}

    (root / "stages/train/config.yaml").write_text(vanilla_config(max_failed_job_count=1))
    stderr = failed(run(root))

    assert "job 0 exited with status 6" in stderr
    assert "1 job attempt(s) failed (max_failed_job_count: 1)" in stderr
    assert log_lines(root) == ["first attempt fails"]


def test_the_job_gets_its_config_and_secrets_and_nothing_from_the_driver(
    make_pipeline: MakePipeline,
) -> None:
    script = """
    import os
    from pathlib import Path

    from ytjobs import secrets
    from ytjobs.config import get_config_path, load_config

    print("config", Path(get_config_path()).resolve())
    print("epochs", load_config()["epochs"])
    print("secret ok", secrets.get("MY_API_KEY") == "s3cret")
    print("driver only", "DRIVER_ONLY" in os.environ)
    print("token keys", sorted(key for key in os.environ if "YT_TOKEN" in key or "YT_PROXY" in key))
    print("token values", any("tok-123456" in value for value in os.environ.values()))
    """
    root = vanilla_pipeline(
        make_pipeline,
        script,
        config="epochs: 7\n" + vanilla_config(),
        files={"configs/secrets.env": SECRETS_ENV},
    )

    result = ok(run(root, env={"DRIVER_ONLY": "1"}))

    config = (root / ".dev/train_sandbox/stages/train/config.yaml").resolve()
    assert log_lines(root) == [
        f"config {config}",
        "epochs 7",
        "secret ok True",
        "driver only False",
        "token keys []",
        "token values False",
    ]
    assert not (root / ".dev/train_sandbox/configs/secrets.env").exists()
    for text in (result.stderr, (root / ".dev/operation.log").read_text()):
        assert "s3cret" not in text
        assert "tok-123456" not in text


def test_a_shell_command_job_gets_job_config_path_too(make_pipeline: MakePipeline) -> None:
    root = vanilla_pipeline(
        make_pipeline,
        config=vanilla_config(command='echo "config=$JOB_CONFIG_PATH"'),
    )

    ok(run(root))

    (line,) = log_lines(root)
    assert line.startswith("config=/"), line
    config = root / ".dev/train_sandbox/stages/train/config.yaml"
    assert Path(line.removeprefix("config=")).resolve() == config.resolve()


def test_memory_limit_applies_to_vanilla_jobs(make_pipeline: MakePipeline) -> None:
    script = """
    import time

    data = bytearray(300 * 2**20)
    for offset in range(0, len(data), 4096):
        data[offset] = 1
    time.sleep(10)
    """
    root = vanilla_pipeline(
        make_pipeline, script, config=vanilla_config(resources={"memory_limit_gb": 0.05})
    )

    stderr = failed(run(root))

    assert "job 0 memory limit exceeded" in stderr
