"""Dev map operations end to end: real pipelines, real ``ytflow run``, real job subprocesses.

Every test writes a pipeline into ``tmp_path`` with a ``create`` stage that writes the input
table and a ``mapit`` stage that runs ``client.operations.map`` and records the
``OperationResult`` in ``//tmp/p/result``; the mapper is ``stages/mapit/src/mapper.py``.
"""

from __future__ import annotations

import hashlib
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    MakePipeline,
    assert_config_error,
    read_dev_table,
    run_cli,
    run_python,
    stage_code,
)

INPUT = "//tmp/p/input"
OUTPUT = "//tmp/p/output"
MAPPER = "stages/mapit/src/mapper.py"

MAP_STAGE = stage_code(
    """
    result = self.run_map(self.config.client.operations.map)
    self.deps.yt_client.write_table(
        table_path="//tmp/p/result",
        rows=[
            {
                "row_count": result.row_count,
                "output_rows": result.output_rows,
                "jobs": result.jobs,
                "failed_jobs": result.failed_jobs,
            }
        ],
    )
    """
)

COPY_MAPPER = """
from ytjobs.io import read_rows, write_row

for row in read_rows():
    write_row(row)
"""

EXIT_3_MAPPER = """
import sys

for number in range(30):
    print(f"stderr-line-{number:02d}", file=sys.stderr)
sys.exit(3)
"""

# ~110 bytes a row: 3000 rows are well above the 64 KiB a dev job needs before it is split.
PADDED_ROWS = '({"i": i, "pad": "x" * 90} for i in range(3000))'


def create_stage(rows: str = '[{"i": i} for i in range(5)]', table: str = INPUT) -> str:
    """A stage that writes ``rows`` (a Python expression) to ``table``."""
    return stage_code(f'self.deps.yt_client.write_table(table_path="{table}", rows={rows})')


def map_config(**fields: Any) -> str:
    """A stage config.yaml whose ``client.operations.map`` has the default tables + ``fields``."""
    node: dict[str, Any] = {"input_table": INPUT, "output_table": OUTPUT, **fields}
    return yaml.safe_dump({"client": {"operations": {"map": node}}}, sort_keys=False)


def map_pipeline(
    make_pipeline: MakePipeline,
    mapper: str = COPY_MAPPER,
    *,
    rows: str = '[{"i": i} for i in range(5)]',
    config: str | None = None,
    stage: str = MAP_STAGE,
    files: dict[str, str] | None = None,
) -> Path:
    return make_pipeline(
        {"create": create_stage(rows), "mapit": stage},
        stage_configs={"mapit": config if config is not None else map_config()},
        files={MAPPER: mapper, **(files or {})},
    )


def run(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("run", root, *args, env=env)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> str:
    """A run that failed in a stage: exit 1; returns its stderr."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    return result.stderr


def sandbox(root: Path, name: str = "input->output") -> Path:
    return root / ".dev" / f"sandbox_{name}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def result_row(root: Path) -> dict[str, Any]:
    (row,) = read_dev_table(root, "result")
    return row


def set_mapper(root: Path, code: str) -> None:
    (root / MAPPER).write_text(code, encoding="utf-8")


def set_map_config(root: Path, **fields: Any) -> None:
    (root / "stages/mapit/config.yaml").write_text(map_config(**fields), encoding="utf-8")


# --- the sandbox --------------------------------------------------------------------------


def test_sandbox_is_recreated_clean_holds_the_bundle_and_is_the_jobs_cwd(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import os
    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row({**row, "cwd": os.getcwd()})
    """
    root = map_pipeline(make_pipeline, mapper)
    box = sandbox(root)
    box.mkdir(parents=True)
    (box / "stray.txt").write_text("left over from an earlier run")

    ok(run(root))

    assert not (box / "stray.txt").exists()
    assert (box / "_ytflow_launch.py").is_file()
    assert (box / "stages/mapit/src/mapper.py").is_file()
    assert (box / "stages/create/stage.py").is_file()
    assert (box / "ytjobs/io.py").is_file()
    assert not (box / ".dev").exists()
    rows = read_dev_table(root, "output")
    assert [row["i"] for row in rows] == [0, 1, 2, 3, 4]
    assert {Path(row["cwd"]).resolve() for row in rows} == {box.resolve()}


def test_job_environment_is_clean_and_gets_config_path_and_secure_vault(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import os
    from ytjobs import secrets
    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row({"env": dict(os.environ), "secret": secrets.get("MY_API_KEY")})
    """
    token = "tok-AbCdEf-987654"
    root = map_pipeline(
        make_pipeline,
        mapper,
        rows='[{"i": 0}]',
        files={
            "configs/secrets.env": (
                f"YT_PROXY=proxy.example.net\nYT_TOKEN={token}\nMY_API_KEY=s3cret\n"
            )
        },
    )

    result = ok(run(root, env={"DRIVER_ONLY": "1"}))

    (row,) = read_dev_table(root, "output")
    env: dict[str, str] = row["env"]
    assert row["secret"] == "s3cret"
    assert env["YT_SECURE_VAULT_MY_API_KEY"] == "s3cret"
    assert "DRIVER_ONLY" not in env
    assert env["PATH"] == os.environ["PATH"]
    box = sandbox(root).resolve()
    assert Path(env["JOB_CONFIG_PATH"]).resolve() == box / "stages/mapit/config.yaml"
    assert not [key for key in env if "YT_TOKEN" in key or "YT_PROXY" in key]
    assert not [key for key, value in env.items() if token in value or "proxy.example" in value]
    assert not (box / "configs/secrets.env").exists()
    log = (root / ".dev/operation.log").read_text()
    for text in (log, result.stderr, result.stdout):
        assert "s3cret" not in text
        assert token not in text


def test_secret_printed_by_a_failing_job_is_masked_in_the_error(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import sys
    from ytjobs import secrets

    print("calling the API with key", secrets.get("MY_API_KEY"), file=sys.stderr)
    sys.exit(1)
    """
    root = map_pipeline(
        make_pipeline, mapper, files={"configs/secrets.env": "MY_API_KEY=s3cret-value\n"}
    )

    stderr = failed(run(root))

    assert "calling the API with key" in stderr
    assert "s3cret-value" not in stderr
    assert "s3cret-value" not in (root / ".dev/operation.log").read_text()


# --- the code bundle ----------------------------------------------------------------------


def test_mapper_importing_a_module_excluded_by_ytignore_fails_like_on_the_cluster(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import local_only

    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row(row)
    """
    root = map_pipeline(
        make_pipeline,
        mapper,
        files={
            "stages/mapit/src/local_only.py": "VALUE = 1\n",
            ".ytignore": "local_only.py\n",
        },
    )

    stderr = failed(run(root))

    assert "job 0 exited with status 1" in stderr
    assert "ModuleNotFoundError: No module named 'local_only'" in stderr
    assert not (sandbox(root) / "stages/mapit/src/local_only.py").exists()
    assert not (root / ".dev/output.jsonl").exists()


def test_mapper_imports_a_helper_beside_it_and_a_package_at_the_pipeline_root(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    from helper import double
    from shared.text import shout

    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row({"i": double(row["i"]), "s": shout("row")})
    """
    root = map_pipeline(
        make_pipeline,
        mapper,
        files={
            "stages/mapit/src/helper.py": "def double(x):\n    return 2 * x\n",
            "shared/__init__.py": "",
            "shared/text.py": "def shout(text):\n    return text.upper() + '!'\n",
        },
    )

    ok(run_python("pipeline.py", cwd=root))

    rows = read_dev_table(root, "output")
    assert rows == [{"i": 2 * i, "s": "ROW!"} for i in range(5)]


def test_missing_mapper_script_is_an_error_before_any_job_runs(
    make_pipeline: MakePipeline,
) -> None:
    root = map_pipeline(make_pipeline, config=map_config(mapper="src/no_such_mapper.py"))

    stderr = failed(run(root))

    assert "job script stages/mapit/src/no_such_mapper.py is not in the code bundle" in stderr
    assert "job 0" not in stderr
    assert not sandbox(root).exists()
    assert not (root / ".dev/output.jsonl").exists()


# --- output checking ----------------------------------------------------------------------

BAD_LINE_MAPPER = """
import sys
from ytjobs.io import read_rows

for row in read_rows():
    pass
sys.stdout.write('{{"ok": 1}}\\n{{"ok": 2}}\\n')
sys.stdout.flush()
{statement}
print('{{"ok": 3}}')
"""


@pytest.mark.parametrize(
    ("statement", "text", "reason"),
    [
        ('print("debug")', "debug", "not JSON"),
        ("print(repr({'a': 1}))", "{'a': 1}", "not JSON"),
        ('print("[1, 2]")', "[1, 2]", "JSON but not an object (a list)"),
        ("print()", "", "an empty line"),
    ],
    ids=["print-debug", "python-dict-repr", "json-list", "blank-line"],
)
def test_a_line_that_is_not_a_json_object_fails_the_operation(
    make_pipeline: MakePipeline, statement: str, text: str, reason: str
) -> None:
    root = map_pipeline(make_pipeline, BAD_LINE_MAPPER.format(statement=statement))

    stderr = failed(run(root))

    assert (
        f"map {INPUT} -> {OUTPUT} failed: job 0 wrote a line that is not a JSON object to "
        f"output table 0 (stdout), line 3 is {reason}: {text!r}"
    ) in stderr
    assert not (root / ".dev/output.jsonl").exists()


def test_a_bad_line_in_a_second_output_table_is_named_by_table_and_descriptor(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import os
    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row(row)
    os.write(4, b"".join(b'{"k": %d}\\n' % k for k in range(1500)) + b"debug\\n")
    """
    root = map_pipeline(
        make_pipeline, mapper, config=map_config(output_table=[OUTPUT, "//tmp/p/extra"])
    )

    stderr = failed(run(root))

    assert (
        "job 0 wrote a line that is not a JSON object to output table 1 (file descriptor 4), "
        "line 1501 is not JSON: 'debug'"
    ) in stderr


def test_invalid_json_after_the_first_thousand_lines_still_fails_the_operation(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import json

    for k in range(1500):
        print(json.dumps({"k": k}))
    print(json.dumps({"x": float("nan")}))  # json.dumps writes NaN, which is not JSON
    """
    root = map_pipeline(make_pipeline, mapper)

    stderr = failed(run(root))

    assert "line 1501 is not JSON" in stderr
    assert not (root / ".dev/output.jsonl").exists()


# --- parallel jobs ------------------------------------------------------------------------


def test_parallel_jobs_keep_input_order_and_report_row_counts(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import os
    from ytjobs.io import read_rows, write_row

    job = int(os.environ["YT_JOB_INDEX"])
    for row in read_rows():
        write_row({"i": row["i"], "job": job})
    """
    root = map_pipeline(
        make_pipeline, mapper, rows=PADDED_ROWS, config=map_config(resources={"job_count": 3})
    )

    result = ok(run(root))

    rows = read_dev_table(root, "output")
    assert [row["i"] for row in rows] == list(range(3000))
    jobs = [row["job"] for row in rows]
    assert sorted(set(jobs)) == [0, 1, 2]
    assert jobs == sorted(jobs)  # each job's rows are one contiguous block, in job order
    assert all(jobs.count(job) > 500 for job in (0, 1, 2))
    assert result_row(root) == {
        "row_count": 3000,
        "output_rows": {OUTPUT: 3000},
        "jobs": 3,
        "failed_jobs": 0,
    }
    # stderr is not a terminal: progress is plain log lines, no escape sequences.
    for job in (0, 1, 2):
        assert f"map {INPUT} -> {OUTPUT}: job {job} done in" in result.stderr
    assert "\x1b[" not in result.stderr


def test_output_without_a_final_newline_in_every_job(make_pipeline: MakePipeline) -> None:
    mapper = """
    import json
    import os
    import sys

    job = int(os.environ["YT_JOB_INDEX"])
    lines = [json.dumps({"i": json.loads(line)["i"], "job": job}) for line in sys.stdin]
    sys.stdout.write("\\n".join(lines))  # no newline after the last row
    """
    root = map_pipeline(
        make_pipeline, mapper, rows=PADDED_ROWS, config=map_config(resources={"job_count": 3})
    )

    ok(run(root))

    rows = read_dev_table(root, "output")
    assert [row["i"] for row in rows] == list(range(3000))
    assert sorted({row["job"] for row in rows}) == [0, 1, 2]
    assert (root / ".dev/output.jsonl").read_bytes().endswith(b"}\n")
    assert result_row(root)["row_count"] == 3000


def _run_in_pty(command: list[str]) -> tuple[int, str]:
    leader, follower = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key not in {"NO_COLOR", "TERM"}}
    env["TERM"] = "xterm-256color"
    with subprocess.Popen(command, stdout=follower, stderr=follower, env=env) as process:
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        code = process.wait(timeout=60)
    return code, b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal(make_pipeline: MakePipeline) -> None:
    root = map_pipeline(
        make_pipeline, rows=PADDED_ROWS, config=map_config(resources={"job_count": 2})
    )

    code, output = _run_in_pty([sys.executable, str(root / "pipeline.py")])

    assert code == 0, output
    assert "\x1b[" in output
    assert "Traceback" not in output
    assert [row["i"] for row in read_dev_table(root, "output")] == list(range(3000))


# --- several tables -----------------------------------------------------------------------

MULTI_OUTPUT_MAPPERS = {
    "ytjobs": """
    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row({"t": "a", "i": row["i"]})
        if row["i"] % 2 == 0:
            write_row({"t": "b", "i": row["i"]}, table_index=1)
        if row["i"] % 3 == 0:
            write_row({"t": "c", "i": row["i"]}, table_index=2)
    """,
    "raw-fds": """
    import json
    import os
    import sys

    for line in sys.stdin:
        i = json.loads(line)["i"]
        os.write(1, json.dumps({"t": "a", "i": i}).encode() + b"\\n")
        if i % 2 == 0:
            os.write(4, json.dumps({"t": "b", "i": i}).encode() + b"\\n")
        if i % 3 == 0:
            os.write(7, json.dumps({"t": "c", "i": i}).encode() + b"\\n")
    """,
}


@pytest.mark.parametrize("style", sorted(MULTI_OUTPUT_MAPPERS))
def test_several_inputs_and_output_tables(make_pipeline: MakePipeline, style: str) -> None:
    config = map_config(
        input_table=[INPUT, "//tmp/p/more"],
        output_table=["//tmp/p/a", "//tmp/p/b", "//tmp/p/c"],
    )
    root = make_pipeline(
        {
            "create": create_stage('[{"i": i} for i in range(6)]'),
            "create_more": create_stage('[{"i": i} for i in range(6, 10)]', table="//tmp/p/more"),
            "mapit": MAP_STAGE,
        },
        stage_configs={"mapit": config},
        files={MAPPER: MULTI_OUTPUT_MAPPERS[style]},
    )

    ok(run(root))

    assert read_dev_table(root, "a") == [{"t": "a", "i": i} for i in range(10)]
    assert read_dev_table(root, "b") == [{"t": "b", "i": i} for i in range(0, 10, 2)]
    assert read_dev_table(root, "c") == [{"t": "c", "i": i} for i in range(0, 10, 3)]
    assert result_row(root)["output_rows"] == {"//tmp/p/a": 10, "//tmp/p/b": 5, "//tmp/p/c": 4}
    assert sandbox(root, "input+more->a+b+c").is_dir()


# --- append and failures ------------------------------------------------------------------


def test_append_adds_rows_and_a_failing_append_leaves_the_table_intact(
    make_pipeline: MakePipeline,
) -> None:
    root = make_pipeline(
        {
            "create": create_stage(),
            "old": create_stage('[{"old": k} for k in range(3)]', table=OUTPUT),
            "mapit": MAP_STAGE,
        },
        stage_configs={"mapit": map_config(append=True)},
        files={MAPPER: COPY_MAPPER},
    )
    output = root / ".dev/output.jsonl"

    ok(run(root))

    assert read_dev_table(root, "output") == [
        *({"old": k} for k in range(3)),
        *({"i": i} for i in range(5)),
    ]
    assert result_row(root)["output_rows"] == {OUTPUT: 5}
    before = output.read_bytes()

    set_mapper(root, EXIT_3_MAPPER)
    failed(run(root, "--stage", "mapit"))

    assert output.read_bytes() == before


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


def test_empty_input_gives_an_empty_output(make_pipeline: MakePipeline) -> None:
    root = map_pipeline(make_pipeline, rows="[]")

    ok(run(root))

    output = root / ".dev/output.jsonl"
    assert output.is_file()
    assert output.read_bytes() == b""
    assert result_row(root) == {
        "row_count": 0,
        "output_rows": {OUTPUT: 0},
        "jobs": 0,
        "failed_jobs": 0,
    }


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
