"""Prod operation failures: the error names the operation, its URL and the job's stderr;
outputs stay as they were; Ctrl-C aborts the operation."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import pytest
from prod_ops_helpers import VAULT, make_pipeline, prod_client, write

from ytflow.errors import OperationError, TableNotFound
from ytflow.localyt import LocalYt
from ytflow.ops import MapOperation, VanillaOperation
from ytflow.prod.op_errors import ProdOperationError


def test_failed_job_raises_with_id_url_and_masked_stderr(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))
    write(client.yt, "//tmp/p/in", [{"value": 1}])
    write(client.yt, "//tmp/p/out", [{"old": "row"}])
    spec = MapOperation(
        input_table="//tmp/p/in",
        output_table=["//tmp/p/out", "//tmp/p/new/side"],
        mapper="src/fail.py",
        max_failed_job_count=2,
    )

    with pytest.raises(OperationError) as caught:
        client.run_operation(spec, stage="work")

    error = caught.value
    assert isinstance(error, ProdOperationError)
    (operation,) = local_yt.endpoint.operations.operations.values()
    assert operation.state == "failed"
    assert error.operation_id == operation.id
    assert operation.id in error.url and error.url.startswith(local_yt.proxy_url)
    text = str(error)
    assert operation.id in text and error.url in text
    assert "Process exited with code 3" in text
    assert error.exit_status == 3
    assert any("boom: the job failed on purpose, key ***" in line for line in error.stderr_tail)
    assert VAULT["API_KEY"] not in text
    assert list(client.yt.read_table("//tmp/p/out")) == [{"old": "row"}]
    assert not client.yt.exists("//tmp/p/new")  # created in the aborted transaction only


def test_missing_job_script_fails_before_submitting(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))
    write(client.yt, "//tmp/p/in", [{"value": 1}])

    with pytest.raises(OperationError, match=r"stages/work/src/nope\.py is not in the code bundle"):
        client.run_operation(
            MapOperation(
                input_table="//tmp/p/in", output_table="//tmp/p/out", mapper="src/nope.py"
            ),
            stage="work",
        )

    assert not local_yt.endpoint.operations.operations


def test_missing_input_is_table_not_found(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))

    with pytest.raises(TableNotFound, match="//tmp/p/missing"):
        client.run_operation(
            MapOperation(input_table="//tmp/p/missing", output_table="//tmp/p/out"), stage="work"
        )

    assert not local_yt.endpoint.operations.operations
    assert not client.yt.exists("//tmp/p/out")


def test_ctrl_c_while_waiting_aborts_the_operation(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            client.run_operation(VanillaOperation(command="sleep 30"), stage="work")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    (operation,) = local_yt.endpoint.operations.operations.values()
    assert operation.context.cancel_event.is_set()
    assert "ytflow interrupted" in str(operation.error)
