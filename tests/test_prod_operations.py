"""Prod map operations through the real ytsaurus-client against local-yt: rows and specs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from localyt_helpers import CLIENT_FLAVORS
from prod_ops_helpers import VAULT, last_spec, make_pipeline, prod_client, write

from ytflow.errors import OperationError
from ytflow.localyt import LocalYt
from ytflow.ops import MapOperation


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    return make_pipeline(tmp_path / "pipe")


def _attributes(value: Any) -> dict[str, Any]:
    return dict(getattr(value, "attributes", {}) or {})


@pytest.mark.parametrize("flavor", CLIENT_FLAVORS)
def test_map_keeps_non_ascii_and_submits_the_planned_spec(
    local_yt: LocalYt, pipeline: Path, flavor: str
) -> None:
    client = prod_client(local_yt, pipeline, flavor)
    rows = [{"value": 1, "name": "Grüße, 日本"}, {"value": 2, "name": "emoji 🎉"}]
    write(client.yt, "//tmp/p/in", rows)

    result = client.run_operation(
        MapOperation(input_table="//tmp/p/in", output_table="//tmp/p/deep/out"), stage="work"
    )

    assert list(client.yt.read_table("//tmp/p/deep/out")) == [
        {"value": 1, "name": "Grüße, 日本ß", "doubled": 2},
        {"value": 2, "name": "emoji 🎉ß", "doubled": 4},
    ]
    assert result.output_rows == {"//tmp/p/deep/out": 2}
    assert result.jobs == 1 and result.failed_jobs == 0 and result.seconds > 0
    spec = last_spec(local_yt)
    assert spec["title"] == "ytflow pipe/work: map //tmp/p/in -> //tmp/p/deep/out"
    assert spec["ordered"] == True  # noqa: E712 - a YsonBoolean, equal to True, not it
    mapper = spec["mapper"]
    for key in ("input_format", "output_format"):
        assert str(mapper[key]) == "json"
        assert _attributes(mapper[key]) == {"encode_utf8": False}
    (bundle,) = mapper["file_paths"]
    assert str(bundle).startswith("//tmp/ytflow_test/build/bundle-")
    assert _attributes(bundle) == {"file_name": "ytflow_bundle.tar.gz"}
    assert "python3 _ytflow_launch.py work src/mapper.py" in mapper["command"]


def test_resources_reach_the_spec(
    local_yt: LocalYt, pipeline: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ytflow.operations")
    client = prod_client(local_yt, pipeline)
    write(client.yt, "//tmp/p/in", [{"value": n} for n in range(6)])
    resources = {
        "pool": "research",
        "pool_tree": "physical",
        "memory_limit_gb": 1.5,
        "cpu_limit": 0.5,
        "job_count": 3,
        "docker_image": "registry.example/jobs:1.2",
    }
    spec = MapOperation(
        input_table="//tmp/p/in",
        output_table="//tmp/p/out",
        max_failed_job_count=4,
        resources=resources,  # pyright: ignore[reportArgumentType]
    )

    result = client.run_operation(spec, stage="work")

    assert [row["doubled"] for row in client.yt.read_table("//tmp/p/out")] == [
        0,
        2,
        4,
        6,
        8,
        10,
    ]  # in input order, whatever job_count
    assert result.jobs == 3
    sent = last_spec(local_yt)
    assert sent["pool"] == "research"
    assert sent["pool_trees"] == ["physical"]
    assert sent["job_count"] == 3
    assert sent["max_failed_job_count"] == 4
    mapper = sent["mapper"]
    assert mapper["memory_limit"] == int(1.5 * 2**30)
    progress = [r.getMessage() for r in caplog.records if "jobs " in r.getMessage()]
    assert progress and "completed" in progress[0]  # not a terminal: log lines
    assert any("?page=operation" in r.getMessage() for r in caplog.records)
    assert mapper["cpu_limit"] == 0.5
    assert mapper["docker_image"] == "registry.example/jobs:1.2"


def test_gpu_limit_reaches_the_endpoint(local_yt: LocalYt, pipeline: Path) -> None:
    """local-yt has no GPUs and refuses the key by name: proof that the spec carried it."""
    client = prod_client(local_yt, pipeline)
    write(client.yt, "//tmp/p/in", [{"value": 1}])
    spec = MapOperation(
        input_table="//tmp/p/in",
        output_table="//tmp/p/out",
        resources={"gpu_limit": 1},  # pyright: ignore[reportArgumentType]
    )

    with pytest.raises(OperationError, match="gpu_limit"):
        client.run_operation(spec, stage="work")

    assert last_spec(local_yt)["mapper"]["gpu_limit"] == 1
    assert not client.yt.exists("//tmp/p/out")  # created in the operation's transaction only


def test_secrets_reach_jobs_through_the_secure_vault_only(
    local_yt: LocalYt, pipeline: Path
) -> None:
    client = prod_client(local_yt, pipeline)
    write(client.yt, "//tmp/p/in", [{"value": 1}])

    client.run_operation(
        MapOperation(input_table="//tmp/p/in", output_table="//tmp/p/out", mapper="src/secret.py"),
        stage="work",
    )

    assert list(client.yt.read_table("//tmp/p/out")) == [{"key": VAULT["API_KEY"], "leaked": []}]
    sent = last_spec(local_yt)
    assert dict(sent["secure_vault"]) == VAULT
    text = repr({key: value for key, value in sent.items() if key != "secure_vault"})
    assert VAULT["API_KEY"] not in text and "token-abcdef" not in text
    assert set(sent["mapper"]["environment"]) == {"LANG"}


def test_map_to_two_outputs_and_append(local_yt: LocalYt, pipeline: Path) -> None:
    client = prod_client(local_yt, pipeline)
    write(client.yt, "//tmp/p/in", [{"value": n} for n in range(5)])
    write(client.yt, "//tmp/p/odd", [{"value": -1}])
    spec = MapOperation(
        input_table="//tmp/p/in",
        output_table=["//tmp/p/even", "//tmp/p/odd"],
        mapper="src/split.py",
        append=True,
    )

    result = client.run_operation(spec, stage="work")

    assert [row["value"] for row in client.yt.read_table("//tmp/p/even")] == [0, 2, 4]
    assert [row["value"] for row in client.yt.read_table("//tmp/p/odd")] == [-1, 1, 3]
    assert result.output_rows == {"//tmp/p/even": 3, "//tmp/p/odd": 2}  # appended: the delta
    outputs = last_spec(local_yt)["output_table_paths"]
    assert [_attributes(path) for path in outputs] == [{"append": True}] * 2
