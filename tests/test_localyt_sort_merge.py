"""local-yt's sort and merge operations: the kinds on their own, and through the real client.

The kinds are run directly with a hand-built ``OperationContext`` over tables written through
the client, and their writes applied as the operation framework applies them. The client-level
tests (``run_sort``, ``run_merge``) run once the framework's ``start_operation`` is present.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import yt.wrapper as yt
from localyt_helpers import make_client

from ytflow.localyt import LocalYt
from ytflow.localyt.cypress import Tree
from ytflow.localyt.endpoint import COMMAND_MODULES
from ytflow.localyt.op_kinds import KINDS, OperationContext
from ytflow.localyt.registry import COMMANDS
from ytflow.localyt.yt_errors import RESOLVE_ERROR, SORT_ORDER_VIOLATION, YtLocalError


def operations_available() -> bool:
    """True once the operation framework (``start_operation``) is part of local-yt."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"ytflow.localyt.{name}")
    return "start_operation" in COMMANDS


needs_operations = pytest.mark.skipif(
    not operations_available(), reason="the operation framework (start_operation) is not merged"
)


def run_kind(
    local: LocalYt, kind: str, spec: dict[str, Any], *, cancelled: bool = False
) -> OperationContext:
    """Run one kind to its end and apply its writes in one mutation, as the framework does."""
    endpoint = local.endpoint
    assert endpoint is not None
    ctx = OperationContext(
        endpoint=endpoint,
        operation_id="1-2-3-4",
        operation_type=kind,
        spec=spec,
        transaction_id=None,
        cancelled=lambda: cancelled,
    )
    writes = KINDS[kind](ctx)

    def apply(tree: Tree) -> None:
        for write in writes:
            tree.replace_data(write.path.path, write.chunks, append=write.append)
            node = tree.resolve(write.path.path)
            if write.sorted_by:
                node.attributes["sorted_by"] = write.sorted_by
            else:
                node.attributes.pop("sorted_by", None)

    endpoint.state.mutate(None, apply)
    return ctx


MIXED = [
    {"k": "b", "n": 1},
    {"k": 2.5, "n": 2},
    {"k": None, "n": 3},
    {"k": 7, "n": 4},
    {"k": True, "n": 5},
    {"k": "a", "n": 6},
    {"k": -3, "n": 7},
]


def test_sort_orders_several_inputs_across_types_stably(yt_client, local_yt):
    yt_client.write_table("//tmp/a", MIXED)
    yt_client.write_table("//tmp/b", [{"k": 7, "n": 8}, {"k": "a", "n": 9}])
    yt_client.create("table", "//tmp/out")
    ctx = run_kind(
        local_yt,
        "sort",
        {"input_table_paths": ["//tmp/a", "//tmp/b"], "output_table_path": "//tmp/out",
         "sort_by": ["k"]},
    )  # fmt: skip
    # YT's order: null < int64 < double < boolean < string; equal keys keep input order.
    assert [row["n"] for row in yt_client.read_table("//tmp/out")] == [3, 7, 4, 8, 2, 5, 6, 9, 1]
    assert yt_client.get("//tmp/out/@sorted_by") == ["k"]
    assert yt_client.get("//tmp/out/@sorted")
    assert (ctx.jobs.total, ctx.jobs.completed) == (1, 1)


def test_sort_by_several_columns_with_ranges_and_sort_column_maps(local_yt):
    client = _client(local_yt)
    client.write_table("//tmp/a", [{"x": i % 3, "y": -i} for i in range(9)])
    client.create("table", "//tmp/out")
    run_kind(
        local_yt,
        "sort",
        {
            "input_table_paths": ["//tmp/a[#3:]"],
            "output_table_path": "//tmp/out",
            "sort_by": [{"name": "x", "sort_order": "ascending"}, "y"],
        },
    )
    assert [(row["x"], row["y"]) for row in client.read_table("//tmp/out")] == [
        (0, -6),
        (0, -3),
        (1, -7),
        (1, -4),
        (2, -8),
        (2, -5),
    ]
    assert client.get("//tmp/out/@sorted_by") == ["x", "y"]


REFUSED_SORTS = [
    ({"sort_by": [{"name": "x", "sort_order": "descending"}]}, 1, ["'descending'", "'x'"]),
    ({"sort_by": []}, 1, ["'sort_by' is empty"]),
    ({"sort_by": ["x"], "reduce_by": ["x"]}, 1, ["'reduce_by'", "sort spec option"]),
    ({"sort_by": ["x"], "input_table_paths": ["//tmp/nope"]}, RESOLVE_ERROR, ["//tmp/nope"]),
    ({"sort_by": ["x"], "output_table_path": "<append=%true>//tmp/out"}, 1, ["appending"]),
]


def test_sort_refusals_name_the_culprit_and_change_nothing(local_yt):
    client = _client(local_yt)
    client.write_table("//tmp/a", [{"x": 1}])
    client.create("table", "//tmp/out")
    for spec, code, words in REFUSED_SORTS:
        full = {"input_table_paths": ["//tmp/a"], "output_table_path": "//tmp/out", **spec}
        with pytest.raises(YtLocalError) as error:
            run_kind(local_yt, "sort", full)
        assert error.value.code == code
        text = str(error.value) + "".join(str(inner) for inner in error.value.inner)
        for word in words:
            assert word in text
    spec = {"input_table_paths": ["//tmp/a"], "output_table_path": "//tmp/out", "sort_by": ["x"]}
    with pytest.raises(YtLocalError, match="Operation 1-2-3-4 was aborted"):
        run_kind(local_yt, "sort", spec, cancelled=True)
    assert client.row_count("//tmp/out") == 0
    run_kind(local_yt, "sort", {**spec, "output_table_path": "//tmp/a"})  # in place
    assert client.get("//tmp/a/@sorted_by") == ["x"]


def test_merge_concatenates_in_input_order(local_yt):
    yt_client = _client(local_yt)
    yt_client.write_table("<sorted_by=[x]>//tmp/a", [{"x": 1}, {"x": 5}])
    yt_client.write_table("//tmp/b", [{"x": 3, "s": "é"}])
    yt_client.create("table", "//tmp/out")
    spec: dict[str, Any] = {
        "input_table_paths": ["//tmp/a", "//tmp/b{x}"],
        "output_table_path": "//tmp/out",
    }
    for mode in (None, "unordered", "ordered"):
        run_kind(local_yt, "merge", {**spec, "mode": mode} if mode else spec)
        assert list(yt_client.read_table("//tmp/out")) == [{"x": 1}, {"x": 5}, {"x": 3}]
        assert not yt_client.get("//tmp/out/@sorted")


def test_sorted_merge_interleaves_sorted_inputs(local_yt):
    yt_client = _client(local_yt)
    yt_client.write_table("<sorted_by=[k;v]>//tmp/a", [{"k": 1, "v": "a"}, {"k": 4, "v": "a"}])
    yt_client.write_table("<sorted_by=[k]>//tmp/b", [{"k": 1, "v": "b"}, {"k": 2, "v": "b"}])
    yt_client.create("table", "//tmp/out")
    run_kind(
        local_yt,
        "merge",
        {"input_table_paths": ["//tmp/a", "//tmp/b"], "output_table_path": "//tmp/out",
         "mode": "sorted"},
    )  # fmt: skip
    # merge_by defaults to the inputs' common sort prefix; equal keys keep input order.
    assert [(row["k"], row["v"]) for row in yt_client.read_table("//tmp/out")] == [
        (1, "a"),
        (1, "b"),
        (2, "b"),
        (4, "a"),
    ]
    assert yt_client.get("//tmp/out/@sorted_by") == ["k"]
    run_kind(
        local_yt,
        "merge",
        {"input_table_paths": ["//tmp/b", "//tmp/a"], "output_table_path": "//tmp/out",
         "mode": "auto"},
    )  # fmt: skip
    assert [row["v"] for row in yt_client.read_table("//tmp/out")] == ["b", "a", "b", "a"]
    assert yt_client.get("//tmp/out/@sorted_by") == ["k"]


def test_sorted_merge_refuses_an_unsorted_input(local_yt):
    client = _client(local_yt)
    client.write_table("<sorted_by=[k]>//tmp/a", [{"k": 1}])
    client.write_table("//tmp/b", [{"k": 0}])
    client.create("table", "//tmp/out")
    spec = {
        "input_table_paths": ["//tmp/a", "//tmp/b"],
        "output_table_path": "//tmp/out",
        "mode": "sorted",
        "merge_by": ["k"],
    }
    with pytest.raises(YtLocalError, match="Input table //tmp/b is not sorted") as error:
        run_kind(local_yt, "merge", spec)
    assert error.value.code == SORT_ORDER_VIOLATION
    spec["mode"] = "ordered"
    with pytest.raises(YtLocalError, match="'merge_by' needs mode 'sorted'"):
        run_kind(local_yt, "merge", spec)
    spec["mode"] = "shuffled"
    with pytest.raises(YtLocalError, match="unknown mode 'shuffled'"):
        run_kind(local_yt, "merge", spec)


def test_merge_appends_and_keeps_sortedness_only_when_the_order_holds(local_yt):
    client = _client(local_yt)
    client.write_table("<sorted_by=[k]>//tmp/out", [{"k": 1}, {"k": 2}])
    client.write_table("<sorted_by=[k]>//tmp/late", [{"k": 3}])
    client.write_table("<sorted_by=[k]>//tmp/early", [{"k": 0}])
    client.write_table("//tmp/plain", [{"k": -1}])

    def merge(source: str, mode: str) -> None:
        run_kind(
            local_yt,
            "merge",
            {"input_table_paths": [source], "output_table_path": "<append=%true>//tmp/out",
             "mode": mode},
        )  # fmt: skip

    merge("//tmp/late", "sorted")
    assert [row["k"] for row in client.read_table("//tmp/out")] == [1, 2, 3]
    assert client.get("//tmp/out/@sorted_by") == ["k"]
    with pytest.raises(YtLocalError, match="Sort order violation") as error:
        merge("//tmp/early", "sorted")
    assert error.value.code == SORT_ORDER_VIOLATION
    assert client.row_count("//tmp/out") == 3
    merge("//tmp/plain", "auto")  # not all inputs sorted: an unordered append
    assert [row["k"] for row in client.read_table("//tmp/out")] == [1, 2, 3, -1]
    assert not client.get("//tmp/out/@sorted")


def test_batch_get_of_sortedness_as_the_client_asks_before_a_merge(yt_client):
    """``run_merge`` without a mode asks, in one batch, whether every input is sorted."""
    yt_client.write_table("<sorted_by=[k]>//tmp/a", [{"k": 1}])
    batch = yt_client.create_batch_client()
    response = batch.get("//tmp/a/@", attributes=["type", "sorted", "sorted_by"])
    batch.commit_batch()
    attributes = response.get_result()
    assert (attributes["type"], attributes["sorted_by"]) == ("table", ["k"])
    assert attributes["sorted"]


# -- through the client, once the operation framework is merged -------------------------------


@needs_operations
def test_client_run_sort_then_run_merge(yt_client):
    yt_client.write_table("//tmp/a", [{"k": 3, "s": "ü"}, {"k": 1, "s": "x"}])
    yt_client.write_table("//tmp/b", [{"k": 2, "s": "y"}])
    yt_client.run_sort(["//tmp/a", "//tmp/b"], "//tmp/sorted", sort_by=["k"])
    assert [row["k"] for row in yt_client.read_table("//tmp/sorted")] == [1, 2, 3]
    assert yt_client.get("//tmp/sorted/@sorted_by") == ["k"]
    yt_client.write_table("<sorted_by=[k]>//tmp/more", [{"k": 2, "s": "z"}])
    yt_client.run_merge(["//tmp/sorted", "//tmp/more"], "//tmp/merged", mode="sorted")
    assert [row["s"] for row in yt_client.read_table("//tmp/merged")] == ["x", "y", "z", "ü"]
    assert yt_client.get("//tmp/merged/@sorted_by") == ["k"]
    yt_client.run_merge(["//tmp/a", "//tmp/b"], yt.TablePath("//tmp/merged", append=True))
    assert yt_client.row_count("//tmp/merged") == 7
    assert not yt_client.get("//tmp/merged/@sorted")


@needs_operations
def test_client_sort_errors_name_the_culprit(yt_client):
    yt_client.write_table("//tmp/a", [{"k": 1}])
    with pytest.raises(yt.YtError, match="descending"):
        yt_client.run_sort(
            "//tmp/a", "//tmp/out", sort_by=[{"name": "k", "sort_order": "descending"}]
        )
    with pytest.raises(yt.YtError, match="//tmp/a is not sorted"):
        yt_client.run_merge(["//tmp/a"], "//tmp/out", mode="sorted", merge_by=["k"])


def _client(local: LocalYt) -> yt.YtClient:
    return make_client(local)


def test_client_run_erase_removes_a_range_or_everything(yt_client):
    yt_client.write_table(
        yt.TablePath("//tmp/erase_me", sorted_by=["k"]), [{"k": index} for index in range(10)]
    )
    yt_client.run_erase("//tmp/erase_me[#2:#5]")
    assert [row["k"] for row in yt_client.read_table("//tmp/erase_me")] == [0, 1, 5, 6, 7, 8, 9]
    assert yt_client.get("//tmp/erase_me/@sorted_by") == ["k"]
    yt_client.run_erase("//tmp/erase_me")
    assert yt_client.row_count("//tmp/erase_me") == 0
