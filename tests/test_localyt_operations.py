"""local-yt operations with shell-command jobs, driven through the unmodified client.

Jobs use explicit formats (JSON rows parsed by small ``python3 -c`` scripts, or ``cat``), so
the same command runs in both client configurations.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import yt.wrapper as yt
from localyt_helpers import make_client

from ytflow.localyt import LocalYt

JSON = yt.JsonFormat()
# A mapper that sends even "a" to table 0 (fd 1) and odd "a" to table 1 (fd 4).
SPLIT_BY_PARITY = (
    "python3 -c 'import sys, os, json\n"
    'odd = os.fdopen(4, "w")\n'
    "for line in sys.stdin:\n"
    "    row = json.loads(line)\n"
    '    (odd if row["a"] % 2 else sys.stdout).write(line)\n'
    "odd.close()'"
)
COUNT_ROWS = (
    "python3 -c 'import sys, os, json\n"
    "n = sum(1 for _ in sys.stdin)\n"
    'start = int(os.environ["YT_START_ROW_INDEX"])\n'
    'print(json.dumps({"job": int(os.environ["YT_JOB_INDEX"]), "rows": n, "start": start}))\''
)
# A reducer: one output row per key with its number of rows (table switches are skipped).
COUNT_PER_KEY = (
    "python3 -c 'import sys, os, json, itertools\n"
    "rows = [json.loads(line) for line in sys.stdin]\n"
    'rows = [row for row in rows if "$value" not in row]\n'
    'for key, group in itertools.groupby(rows, lambda row: row["key"]):\n'
    "    group = list(group)\n"
    '    print(json.dumps({"key": key, "n": sum(r.get("n", 1) for r in group),\n'
    '        "job": int(os.environ["YT_JOB_INDEX"])}))\''
)


@pytest.fixture
def both(yt_client: Any) -> Any:
    """The client in both configurations, polling operations often (tests stay fast)."""
    yt_client.config["operation_tracker"]["poll_period"] = 100
    return yt_client


@pytest.fixture
def client(local_yt: LocalYt) -> Any:
    """The client's default configuration only, for what does not depend on it."""
    client = make_client(local_yt)
    client.config["operation_tracker"]["poll_period"] = 100
    return client


def _rows(client: Any, path: str) -> list[dict[str, Any]]:
    return list(client.read_table(path))


def test_map_with_cat_copies_the_rows(both):
    client = both
    rows = [{"a": index, "s": "héllo"} for index in range(5)]
    client.write_table("//tmp/in", rows)
    client.run_map("cat", "//tmp/in", "//tmp/out", format="yson")
    assert _rows(client, "//tmp/out") == rows
    client.run_map("cat", "//tmp/in", yt.TablePath("//tmp/out", append=True), format=JSON)
    assert _rows(client, "//tmp/out") == rows + rows


def test_map_writes_table_one_through_fd_4(client):
    client.write_table("//tmp/in", [{"a": index} for index in range(6)])
    client.run_map(SPLIT_BY_PARITY, "//tmp/in", ["//tmp/even", "//tmp/odd"], format=JSON)
    assert _rows(client, "//tmp/even") == [{"a": 0}, {"a": 2}, {"a": 4}]
    assert _rows(client, "//tmp/odd") == [{"a": 1}, {"a": 3}, {"a": 5}]


def test_redirect_stdout_to_stderr_moves_table_zero_to_fd_4(client):
    client.write_table("//tmp/in", [{"a": 1}])
    operation = client.run_map(
        "echo chatter; echo $YT_FIRST_OUTPUT_TABLE_FD >&2; cat >&4",
        "//tmp/in",
        "//tmp/out",
        format=JSON,
        spec={"mapper": {"redirect_stdout_to_stderr": True}},
    )
    assert _rows(client, "//tmp/out") == [{"a": 1}]
    (job,) = client.list_jobs(operation.id)["jobs"]
    assert client.get_job_stderr(operation.id, job["id"]).read() == b"chatter\n4\n"


def test_job_count_splits_rows_in_order(client):
    client.write_table("//tmp/in", [{"a": index} for index in range(10)])
    operation = client.run_map(
        COUNT_ROWS, "//tmp/in", "//tmp/out", format=JSON, spec={"job_count": 3}
    )
    assert _rows(client, "//tmp/out") == [
        {"job": 0, "rows": 4, "start": 0},
        {"job": 1, "rows": 3, "start": 4},
        {"job": 2, "rows": 3, "start": 7},
    ]
    jobs = client.get_operation(operation.id)["progress"]["jobs"]
    assert (jobs["total"], jobs["completed"], jobs["failed"], jobs["running"]) == (3, 3, 0, 0)
    listed = client.list_jobs(operation.id)["jobs"]
    assert sorted(job["state"] for job in listed) == ["completed"] * 3
    # data_size_per_job asks for jobs by size: here as many as rows (at most one row each)
    by_size = client.run_map(
        "cat", "//tmp/in", "//tmp/copy", format=JSON, spec={"data_size_per_job": 1}
    )
    assert len(client.list_jobs(by_size.id)["jobs"]) == 10
    assert _rows(client, "//tmp/copy") == [{"a": index} for index in range(10)]


def test_files_environment_and_secure_vault_reach_the_job(client):
    probe = (
        b"#!/usr/bin/env python3\n"
        b"import json, os\n"
        b"print(json.dumps({key: os.environ.get(key) for key in (\n"
        b"    'MY_VAR', 'YT_SECURE_VAULT_TOKEN', 'YT_JOB_INDEX')}\n"
        b"    | {'data': open('data.txt').read(), 'op': bool(os.environ['YT_OPERATION_ID']),\n"
        b"       'job_id': bool(os.environ['YT_JOB_ID'])}))\n"
    )
    client.write_file("//tmp/probe.py", probe)
    client.write_file("//tmp/some_data", b"payload")
    client.write_table("//tmp/in", [{"a": 1}])
    client.run_map(
        "cat > /dev/null; ./probe.py",
        "//tmp/in",
        "//tmp/out",
        format=JSON,
        yt_files=[
            yt.FilePath("//tmp/probe.py", executable=True),
            yt.FilePath("//tmp/some_data", file_name="data.txt"),
        ],
        spec={"mapper": {"environment": {"MY_VAR": "visible"}}, "secure_vault": {"TOKEN": "s3"}},
    )
    assert _rows(client, "//tmp/out") == [
        {
            "MY_VAR": "visible",
            "YT_SECURE_VAULT_TOKEN": "s3",
            "YT_JOB_INDEX": "0",
            "data": "payload",
            "op": True,
            "job_id": True,
        }
    ]


def test_failing_job_stderr_is_in_the_client_error_and_outputs_stay(both, local_yt):
    client = both
    client.write_table("//tmp/in", [{"a": 1, "big": "x" * 1000}] * 50)
    client.write_table("//tmp/out", [{"old": True}])
    chunks = sorted(path.name for path in (local_yt.root / "chunks").iterdir())
    with pytest.raises(yt.YtOperationFailedError) as failed:
        client.run_map(
            # job 0 succeeds (its output chunk must not outlive the operation), job 1 fails
            "cat; if [ $YT_JOB_INDEX = 1 ]; then echo 'boom: row 7 is bad' >&2; exit 3; fi",
            "//tmp/in",
            "//tmp/out",
            format=JSON,
            spec={"max_failed_job_count": 1, "job_count": 2},
        )
    text = str(failed.value)
    assert "boom: row 7 is bad" in text
    assert "Process exited with code 3" in text
    assert "Failed jobs limit exceeded" in text
    assert _rows(client, "//tmp/out") == [{"old": True}]
    assert sorted(path.name for path in (local_yt.root / "chunks").iterdir()) == chunks
    error = client.get_operation(failed.value.attributes["id"])["result"]["error"]
    assert error["attributes"]["max_failed_job_count"] == 1
    assert error["inner_errors"][0]["attributes"]["stderr"] == "boom: row 7 is bad\n"


def test_a_job_writing_rows_that_do_not_parse_fails(client):
    client.write_table("//tmp/in", [{"a": 1}])
    with pytest.raises(yt.YtOperationFailedError) as failed:
        client.run_map(
            "cat > /dev/null; echo 'plain text'",
            "//tmp/in",
            "//tmp/out",
            format="yson",
            spec={"max_failed_job_count": 1},
        )
    assert "Error parsing the YSON the job wrote to output table 0" in str(failed.value)


def test_max_failed_job_count_retries_a_failed_job(client, tmp_path):
    marker = tmp_path / "first_attempt_done"
    command = f"if [ -e {marker} ]; then cat; else touch {marker}; echo first >&2; exit 1; fi"
    client.write_table("//tmp/in", [{"a": 1}])
    operation = client.run_map(
        command, "//tmp/in", "//tmp/out", format=JSON, spec={"max_failed_job_count": 2}
    )
    assert _rows(client, "//tmp/out") == [{"a": 1}]
    jobs = client.get_operation(operation.id)["progress"]["jobs"]
    assert (jobs["completed"], jobs["failed"]) == (1, 1)
    failed = client.list_jobs(operation.id, job_state="failed")["jobs"]
    assert len(failed) == 1
    assert failed[0]["error"]["inner_errors"][0]["attributes"]["exit_code"] == 1
    assert client.get_job_stderr(operation.id, failed[0]["id"]).read() == b"first\n"


def test_memory_limit_is_enforced(client):
    client.write_table("//tmp/in", [{"a": 1}])
    with pytest.raises(yt.YtOperationFailedError) as failed:
        client.run_map(
            "python3 -c 'import time; data = b\"x\" * (300 << 20); time.sleep(10)'",
            "//tmp/in",
            "//tmp/out",
            format=JSON,
            spec={"max_failed_job_count": 1, "mapper": {"memory_limit": 64 << 20}},
        )
    assert "Memory limit exceeded" in str(failed.value)


def test_reduce_groups_keys_in_one_job_across_sorted_tables(client):
    client.write_table(
        yt.TablePath("//tmp/left", sorted_by=["key"]),
        [{"key": "a"}, {"key": "b"}, {"key": "b"}, {"key": "c"}],
    )
    client.write_table(yt.TablePath("//tmp/right", sorted_by=["key"]), [{"key": "b"}, {"key": "d"}])
    client.run_reduce(
        COUNT_PER_KEY,
        ["//tmp/left", "//tmp/right"],
        yt.TablePath("//tmp/out", sorted_by=["key"]),
        reduce_by=["key"],
        format=JSON,
        spec={"job_count": 2},
    )
    out = _rows(client, "//tmp/out")
    assert [(row["key"], row["n"]) for row in out] == [("a", 1), ("b", 3), ("c", 1), ("d", 1)]
    assert {row["job"] for row in out} == {0, 1}
    assert client.get("//tmp/out/@sorted_by") == ["key"]


def test_sorted_output_appended_must_continue_the_tables_order(client):
    client.write_table(yt.TablePath("//tmp/out", sorted_by=["key"]), [{"key": "m"}])
    client.write_table("//tmp/late", [{"key": "z"}])
    client.write_table("//tmp/early", [{"key": "a"}])
    target = yt.TablePath("//tmp/out", append=True, sorted_by=["key"])
    client.run_map("cat", "//tmp/late", target, format=JSON)
    assert _rows(client, "//tmp/out") == [{"key": "m"}, {"key": "z"}]
    assert client.get("//tmp/out/@sorted_by") == ["key"]
    with pytest.raises(yt.YtOperationFailedError) as failed:
        client.run_map("cat", "//tmp/early", target, format=JSON)
    assert "Sort order violation in the output table //tmp/out" in str(failed.value)
    assert _rows(client, "//tmp/out") == [{"key": "m"}, {"key": "z"}]


def test_reduce_refuses_an_unsorted_input_table(client):
    client.write_table("//tmp/unsorted", [{"key": "b"}, {"key": "a"}])
    with pytest.raises(yt.YtOperationFailedError) as failed:
        client.run_reduce("cat", "//tmp/unsorted", "//tmp/out", reduce_by=["key"], format=JSON)
    assert "Input table //tmp/unsorted is not sorted by (key)" in str(failed.value)


def test_map_reduce_counts_words(client):
    client.write_table("//tmp/text", [{"line": "a b a"}, {"line": "c a b"}])
    split_words = (
        "python3 -c 'import sys, json\n"
        "for line in sys.stdin:\n"
        '    for word in json.loads(line)["line"].split():\n'
        '        print(json.dumps({"key": word, "n": 1}))\''
    )
    client.run_map_reduce(
        split_words, COUNT_PER_KEY, "//tmp/text", "//tmp/counts", reduce_by=["key"], format=JSON
    )
    counts = {row["key"]: row["n"] for row in _rows(client, "//tmp/counts")}
    assert counts == {"a": 3, "b": 2, "c": 1}


def test_vanilla_task_jobs_write_an_output_table(client):
    client.create("table", "//tmp/vanilla_out")
    task = {
        "command": 'echo job $YT_JOB_INDEX >&2; echo "{\\"job\\": $YT_JOB_INDEX}"',
        "job_count": 2,
        "output_table_paths": ["//tmp/vanilla_out"],
        "format": "json",
    }
    spec = yt.VanillaSpecBuilder().task("probe", task)
    operation = client.run_operation(spec)
    assert _rows(client, "//tmp/vanilla_out") == [{"job": 0}, {"job": 1}]
    jobs = client.list_jobs(operation.id)["jobs"]
    assert sorted(job["type"] for job in jobs) == ["vanilla", "vanilla"]
    stderrs = sorted(client.get_job_stderr(operation.id, job["id"]).read() for job in jobs)
    assert stderrs == [b"job 0\n", b"job 1\n"]


def test_abort_stops_a_running_operation_and_keeps_outputs(client):
    client.write_table("//tmp/in", [{"a": 1}])
    client.write_table("//tmp/out", [{"old": True}])
    operation = client.run_map("sleep 60", "//tmp/in", "//tmp/out", format=JSON, sync=False)
    _wait_for_running_job(client, operation.id)
    started = time.monotonic()
    operation.abort()
    assert _wait_finished(client, operation.id) == "aborted"
    assert time.monotonic() - started < 5
    assert _rows(client, "//tmp/out") == [{"old": True}]
    listed = client.list_operations(state="aborted")
    assert [each["id"] for each in listed["operations"]] == [operation.id]


def test_aborting_the_operations_transaction_aborts_it(client, local_yt):
    client.config["detached"] = False  # attached: the client wraps it in a transaction
    client.config["ping_failed_mode"] = "pass"  # its pinger must not interrupt the tests
    client.write_table("//tmp/in", [{"a": 1}])
    client.write_table("//tmp/out", [{"old": True}])
    operation = client.run_map("sleep 60", "//tmp/in", "//tmp/out", format=JSON, sync=False)
    _wait_for_running_job(client, operation.id)
    envelope = local_yt.endpoint.operations.get(operation.id).context.transaction_id
    other = make_client(local_yt)  # the first client keeps using the envelope transaction
    other.abort_transaction(envelope)
    assert _wait_finished(other, operation.id) == "aborted"
    error = other.get_operation(operation.id)["result"]["error"]
    assert f"its transaction {envelope} has expired or was aborted" in error["message"]
    assert _rows(other, "//tmp/out") == [{"old": True}]


def test_operation_and_job_reports(both):
    client = both
    client.write_table("//tmp/in", [{"a": 1}])
    operation = client.run_map(
        "cat; echo done >&2", "//tmp/in", "//tmp/out", format=JSON, spec={"title": "probe"}
    )
    attributes = client.get_operation(operation.id, attributes=["state", "type", "brief_spec"])
    assert attributes == {
        "state": "completed",
        "type": "map",
        "brief_spec": {
            "input_table_paths": ["//tmp/in"],
            "output_table_paths": ["//tmp/out"],
            "title": "probe",
        },
    }
    (job,) = client.list_jobs(operation.id)["jobs"]
    assert (job["state"], job["type"], job["stderr_size"]) == ("completed", "map", 5)
    assert client.get_job(operation.id, job["id"])["state"] == "completed"
    with pytest.raises(yt.YtResponseError) as missing:
        client.get_job(operation.id, "0-0-0-0")
    assert missing.value.is_no_such_job()
    with pytest.raises(yt.YtResponseError) as unknown:
        client.get_operation("1-2-3-4")
    assert unknown.value.is_no_such_operation()


def test_unsupported_spec_keys_and_types_are_named(client):
    client.write_table("//tmp/in", [{"a": 1}])
    with pytest.raises(yt.YtOperationFailedError) as failed:
        client.run_map(
            "cat", "//tmp/in", "//tmp/out", format=JSON, spec={"input_query": "* where a > 0"}
        )
    assert "input_query" in str(failed.value)
    with pytest.raises(yt.YtResponseError) as unknown:
        client.run_operation(yt.RemoteCopySpecBuilder().input_table_paths("//tmp/in"))
    assert "remote_copy" in str(unknown.value)


def test_stopping_the_endpoint_kills_running_jobs(tmp_path):
    pid_file = tmp_path / "job.pid"
    with LocalYt(tmp_path / "root") as local:
        client = make_client(local)
        client.config["detached"] = True  # no envelope transaction left to ping after stop
        client.write_table("//tmp/in", [{"a": 1}])
        command = f"echo $$ > {pid_file}; exec sleep 60"
        client.run_map(command, "//tmp/in", "//tmp/out", format=JSON, sync=False)
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_an_empty_input_runs_no_jobs_and_empties_the_output(client):
    client.create("table", "//tmp/empty")
    client.write_table("//tmp/out", [{"old": True}])
    operation = client.run_map("cat", "//tmp/empty", "//tmp/out", format=JSON)
    assert _rows(client, "//tmp/out") == []
    assert client.get_operation(operation.id)["progress"]["jobs"]["total"] == 0


def _wait_for_running_job(client: Any, operation_id: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if client.get_operation(operation_id)["progress"]["jobs"]["running"]:
            return
        time.sleep(0.05)
    raise AssertionError("the job never started")


def _wait_finished(client: Any, operation_id: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = client.get_operation(operation_id, attributes=["state"])["state"]
        if state in ("completed", "failed", "aborted"):
            return state
        time.sleep(0.05)
    raise AssertionError("the operation never finished")
