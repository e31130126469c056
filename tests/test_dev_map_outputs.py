"""Dev map operations end to end: output checking, parallel jobs and progress, several
tables, append, empty input.

Every test writes a pipeline into ``tmp_path`` with a ``create`` stage that writes the input
table and a ``mapit`` stage that runs ``client.operations.map`` and records the
``OperationResult`` in ``//tmp/p/result``; the mapper is ``stages/mapit/src/mapper.py``.
Shared helpers live in ``dev_map_helpers.py``.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest
from conftest import MakePipeline, read_dev_table
from dev_map_helpers import (
    COPY_MAPPER,
    EXIT_3_MAPPER,
    INPUT,
    MAP_STAGE,
    MAPPER,
    OUTPUT,
    PADDED_ROWS,
    create_stage,
    failed,
    map_config,
    map_pipeline,
    ok,
    result_row,
    run,
    sandbox,
    set_mapper,
)

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


# --- append and empty input ---------------------------------------------------------------


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
