"""Python-function operations (``client.run_map(my_function, ...)``) on local-yt.

The client pickles the function, uploads it and its modules through the file cache and runs
``python3 _py_runner.py ...`` in the job; local-yt's jobs find a ``python3`` that has
ytsaurus-client. One endpoint serves the whole module so the uploads are cached, as they are
on a cluster; ``ignore_system_modules`` keeps the archives small (the job's interpreter has
the site-packages), and one slow test runs the client's default configuration.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yt.wrapper as yt
from localyt_helpers import make_client

from ytflow.localyt import LocalYt


def add_double(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    sys.stderr.write(f"doubling {row['a']}\n")
    yield {**row, "double": row["a"] * 2}


def fail_on_three(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if row["a"] == 3:
        raise ValueError(f"cannot map a={row['a']}")
    yield row


@yt.with_context
def tag_with_context(row: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
    yield {"a": row["a"], "table": context.table_index, "row": context.row_index}


def split_words(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for word in row["line"].split():
        yield {"word": word, "n": 1}


def sum_counts(key: Any, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield {"word": key["word"], "n": sum(row["n"] for row in rows)}


@pytest.fixture(scope="module")
def shared_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalYt]:
    with LocalYt(tmp_path_factory.mktemp("python_ops") / "localyt") as local:
        yield local


def _client(local: LocalYt, flavor: str = "yson") -> Any:
    client = make_client(local, flavor)
    client.config["operation_tracker"]["poll_period"] = 100
    client.config["pickling"]["ignore_system_modules"] = True
    return client


@pytest.fixture
def client(shared_local: LocalYt) -> Any:
    """The default configuration (each Python job costs about a second: one flavor)."""
    return _client(shared_local)


@pytest.mark.parametrize("flavor", ["yson", pytest.param("json", marks=pytest.mark.slow)])
def test_run_map_with_a_python_function(shared_local: LocalYt, flavor: str):
    client = _client(shared_local, flavor)
    client.write_table("//tmp/numbers", [{"a": index, "s": "ü"} for index in range(4)])
    operation = client.run_map(add_double, "//tmp/numbers", "//tmp/doubled")
    assert list(client.read_table("//tmp/doubled")) == [
        {"a": index, "s": "ü", "double": index * 2} for index in range(4)
    ]
    (job,) = client.list_jobs(operation.id)["jobs"]
    stderr = client.get_job_stderr(operation.id, job["id"]).read()
    assert b"doubling 3\n" in stderr
    assert b"Failed to write user statistics" not in stderr  # fd 5 is open, as on YT


@pytest.mark.slow
def test_python_job_context_has_table_and_row_index(client):
    client.write_table("//tmp/first", [{"a": 1}, {"a": 2}])
    client.write_table("//tmp/second", [{"a": 3}])
    client.run_map(
        tag_with_context,
        ["//tmp/first", "//tmp/second"],
        "//tmp/tagged",
        spec={"job_io": {"control_attributes": {"enable_row_index": True}}},
    )
    assert list(client.read_table("//tmp/tagged")) == [
        {"a": 1, "table": 0, "row": 0},
        {"a": 2, "table": 0, "row": 1},
        {"a": 3, "table": 1, "row": 0},
    ]


@pytest.mark.slow
def test_python_map_reduce_counts_words(client):
    client.write_table("//tmp/lines", [{"line": "to be or not to be"}])
    client.run_map_reduce(split_words, sum_counts, "//tmp/lines", "//tmp/words", reduce_by="word")
    counts = {row["word"]: row["n"] for row in client.read_table("//tmp/words")}
    assert counts == {"to": 2, "be": 2, "or": 1, "not": 1}


@pytest.mark.slow
def test_python_job_traceback_is_in_the_client_error(client):
    client.write_table("//tmp/numbers", [{"a": index} for index in range(5)])
    with pytest.raises(yt.YtOperationFailedError) as failed:
        client.run_map(
            fail_on_three, "//tmp/numbers", "//tmp/never", spec={"max_failed_job_count": 1}
        )
    # The client puts the failed job's stderr on its error (str() shortens a long one).
    failed_job = failed.value.inner_errors[-1]
    assert "ValueError: cannot map a=3" in failed_job["attributes"]["stderr"]
    assert "Process exited with code 1" in str(failed.value)


@pytest.mark.slow
def test_python_reduce_over_a_sorted_table(client):
    rows = [{"word": word, "n": 1} for word in sorted("abacab")]
    client.write_table(yt.TablePath("//tmp/sorted_words", sorted_by=["word"]), rows)
    client.run_reduce(sum_counts, "//tmp/sorted_words", "//tmp/reduced", reduce_by=["word"])
    assert list(client.read_table("//tmp/reduced")) == [
        {"word": "a", "n": 3},
        {"word": "b", "n": 2},
        {"word": "c", "n": 1},
    ]


@pytest.mark.slow
def test_run_map_with_the_default_client_configuration(tmp_path: Path):
    """Only the proxy URL: the client uploads its whole module archive, as for a cluster."""
    with LocalYt(tmp_path / "localyt") as local:
        client = yt.YtClient(proxy=local.proxy_url, config={"token": "local-yt"})
        client.write_table("//tmp/numbers", [{"a": 1}])
        client.run_map(add_double, "//tmp/numbers", "//tmp/doubled")
        assert list(client.read_table("//tmp/doubled")) == [{"a": 1, "double": 2}]
        assert sys.executable  # the job found this interpreter's python3 on its PATH
