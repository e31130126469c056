"""Prod reduce, map-reduce, sort and vanilla through the real client against local-yt."""

from __future__ import annotations

from pathlib import Path

import pytest
from prod_ops_helpers import last_spec, make_pipeline, prod_client, write

from ytflow.errors import OperationError
from ytflow.localyt import LocalYt
from ytflow.ops import MapReduceOperation, ReduceOperation, SortOperation, VanillaOperation

WORDS = [{"text": "b a c"}, {"text": "a b"}, {"text": "a"}]
COUNTS = [{"word": "a", "count": 3}, {"word": "b", "count": 2}, {"word": "c", "count": 1}]


def test_map_reduce_then_sort_then_reduce(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))
    write(client.yt, "//tmp/p/lines", WORDS)

    counted = client.run_operation(
        MapReduceOperation(
            input_table="//tmp/p/lines",
            output_table="//tmp/p/counts",
            mapper="src/words.py",
            reduce_by="word",
            reduce_job_count=2,
        ),
        stage="work",
    )
    assert sorted(client.yt.read_table("//tmp/p/counts"), key=lambda r: r["word"]) == COUNTS
    assert counted.output_rows == {"//tmp/p/counts": 3}
    sent = last_spec(local_yt)
    assert sent["mapper"]["command"].endswith("src/words.py")
    assert sent["reducer"]["command"].endswith("src/reducer.py")
    assert list(sent["reduce_by"]) == ["word"] and sent["partition_count"] == 2

    write(client.yt, "//tmp/p/words", [{"word": w, "count": 1} for w in "cabba"])
    sorted_ = client.run_operation(
        SortOperation(input_table="//tmp/p/words", output_table="//tmp/p/sorted", sort_by="word"),
        stage="work",
    )
    assert [row["word"] for row in client.yt.read_table("//tmp/p/sorted")] == list("aabbc")
    assert sorted_.output_rows == {"//tmp/p/sorted": 5}
    sent = last_spec(local_yt)
    assert "secure_vault" not in sent and "mapper" not in sent  # sort runs no code
    assert sent["title"] == "ytflow pipe/work: sort //tmp/p/words -> //tmp/p/sorted"

    reduced = client.run_operation(
        ReduceOperation(input_table="//tmp/p/sorted", output_table="//tmp/p/sum", reduce_by="word"),
        stage="work",
    )
    assert list(client.yt.read_table("//tmp/p/sum")) == [
        {"word": "a", "count": 2},
        {"word": "b", "count": 2},
        {"word": "c", "count": 1},
    ]
    assert reduced.output_rows == {"//tmp/p/sum": 3}


def test_reduce_on_unsorted_input_says_what_to_do(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))
    write(client.yt, "//tmp/p/words", [{"word": "b", "count": 1}, {"word": "a", "count": 1}])
    write(client.yt, "//tmp/p/sum", [{"kept": True}])

    with pytest.raises(OperationError) as caught:
        client.run_operation(
            ReduceOperation(
                input_table="//tmp/p/words", output_table="//tmp/p/sum", reduce_by="word"
            ),
            stage="work",
        )

    text = str(caught.value)
    assert "Input table //tmp/p/words is not sorted" in text
    assert "run a sort operation" in text
    assert list(client.yt.read_table("//tmp/p/sum")) == [{"kept": True}]


def test_vanilla_runs_job_count_jobs(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))

    result = client.run_operation(
        VanillaOperation(resources={"job_count": 3}),  # pyright: ignore[reportArgumentType]
        stage="work",
    )

    assert result.jobs == 3 and result.output_rows == {}
    task = last_spec(local_yt)["tasks"]["work"]
    assert task["job_count"] == 3
    assert "python3 _ytflow_launch.py work src/vanilla.py" in task["command"]
    assert task["environment"]["PYTHONUNBUFFERED"] == "1"
