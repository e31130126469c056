"""The code bundle's upload: once per content hash, atomic, built outside the pipeline."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from localyt_helpers import make_client
from prod_ops_helpers import BUILD, make_pipeline, prod_client, write

from ytflow.bundle import build_bundle
from ytflow.errors import OperationError
from ytflow.localyt import LocalYt
from ytflow.ops import MapOperation
from ytflow.prod.upload import BundleUpload, UploadedBundle


def _bundles(local: LocalYt) -> list[str]:
    return [str(name) for name in make_client(local).list(BUILD)]


def test_unchanged_pipeline_reruns_without_uploading(
    local_yt: LocalYt, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_pipeline(tmp_path / "pipe")
    before = sorted(path.relative_to(root) for path in root.rglob("*"))
    spec = MapOperation(input_table="//tmp/p/in", output_table="//tmp/p/out")
    first = prod_client(local_yt, root)
    write(first.yt, "//tmp/p/in", [{"value": 1}])
    caplog.set_level(logging.INFO, logger="ytflow.operations")

    first.run_operation(spec, stage="work")
    first.run_operation(spec, stage="work")  # same client: no second look at the cluster
    (name,) = _bundles(local_yt)
    node = f"{BUILD}/{name}"
    uploaded_at = first.yt.get(f"{node}/@modification_time")
    second = prod_client(local_yt, root)
    second.run_operation(spec, stage="work")

    messages = [record.getMessage() for record in caplog.records]
    assert sum("code bundle uploaded" in text for text in messages) == 1
    assert sum("code bundle up to date" in text for text in messages) == 1
    assert _bundles(local_yt) == [name]
    assert second.yt.get(f"{node}/@modification_time") == uploaded_at
    bundle = first.operations.upload.get().bundle
    assert name == f"bundle-{bundle.digest}.tar.gz"
    assert first.yt.read_file(node).read() == bundle.archive.read_bytes()
    assert not bundle.archive.is_relative_to(root)  # built outside the pipeline folder
    assert sorted(path.relative_to(root) for path in root.rglob("*")) == before

    (root / "stages" / "work" / "src" / "extra.py").write_text("X = 1\n")
    prod_client(local_yt, root).run_operation(spec, stage="work")
    assert len(_bundles(local_yt)) == 2  # a changed pipeline is a new bundle


def test_concurrent_uploads_of_one_bundle_both_succeed(local_yt: LocalYt, tmp_path: Path) -> None:
    root = make_pipeline(tmp_path / "pipe")
    uploads = [BundleUpload(make_client(local_yt), root=root, build_folder=BUILD) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[UploadedBundle] = []
    errors: list[BaseException] = []

    def upload(each: BundleUpload) -> None:
        barrier.wait()
        try:
            results.append(each.get())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=upload, args=(each,)) for each in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len({result.path for result in results}) == 1
    assert len(_bundles(local_yt)) == 1
    data = make_client(local_yt).read_file(results[0].path).read()
    assert data == results[0].bundle.archive.read_bytes()


def test_a_build_folder_yt_refuses_is_an_operation_error(local_yt: LocalYt, tmp_path: Path) -> None:
    client = prod_client(local_yt, make_pipeline(tmp_path / "pipe"))
    write(client.yt, "//tmp/p/in", [{"value": 1}])
    write(client.yt, BUILD, [{"not": "a folder"}])

    with pytest.raises(
        OperationError, match=r"uploading the code bundle to //tmp/ytflow_test/build"
    ):
        client.run_operation(
            MapOperation(input_table="//tmp/p/in", output_table="//tmp/p/out"), stage="work"
        )

    assert not local_yt.endpoint.operations.operations


def test_builders_sharing_a_cache_folder_never_delete_each_others_temps(tmp_path: Path) -> None:
    """Concurrent runs of one pipeline build into one temp cache folder at the same time."""
    root = make_pipeline(tmp_path / "pipe")
    errors: list[BaseException] = []

    def build(barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            build_bundle(root, output_dir=tmp_path / "cache")
        except BaseException as error:  # reported below
            errors.append(error)

    for _ in range(15):
        barrier = threading.Barrier(6)
        threads = [threading.Thread(target=build, args=(barrier,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert not errors
    assert [path.name for path in (tmp_path / "cache").iterdir()] == [
        f"bundle-{build_bundle(root, output_dir=tmp_path / 'cache').digest[:16]}.tar.gz"
    ]
