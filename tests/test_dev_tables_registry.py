"""The dev table store's bookkeeping: ``remove``, ``row_count`` and its metadata cache, the
path registry and its conflicts, the ``tables()`` listing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dev_table_helpers import DATA, OTHER_DATA, meta_json

from ytflow.dev.client import DevClient
from ytflow.dev.metadata import META_DIR_NAME, MetaStore
from ytflow.dev.table_store import DevTableStore, TableInfo
from ytflow.errors import YT_RESOLVE_ERROR, PathConflict, TableNotFound

# The ``dev_dir``, ``client``, ``data_file`` and ``seeded`` fixtures live in conftest.py.


# --- remove ------------------------------------------------------------------------------------


def test_remove_deletes_file_and_metadata(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    client.remove(DATA)
    assert not data_file.exists()
    assert not (dev_dir / META_DIR_NAME / "data.json").exists()
    assert client.exists(DATA) is False


def test_remove_frees_the_base_name_for_another_path(client: DevClient, seeded: bytes) -> None:
    client.remove(DATA)
    client.write_table(OTHER_DATA, [{"other": True}])
    assert list(client.read_table(OTHER_DATA)) == [{"other": True}]
    assert client.exists(OTHER_DATA) is True
    assert client.exists(DATA) is False


def test_remove_of_missing_table_raises_table_not_found(client: DevClient) -> None:
    with pytest.raises(TableNotFound, match=DATA) as caught:
        client.remove(DATA)
    assert caught.value.code == YT_RESOLVE_ERROR


def test_remove_of_missing_table_with_force_is_a_no_op(client: DevClient, dev_dir: Path) -> None:
    client.remove(DATA, force=True)
    assert client.exists(DATA) is False


def test_remove_with_force_of_existing_table_removes_it(client: DevClient, seeded: bytes) -> None:
    client.remove(DATA, force=True)
    assert client.exists(DATA) is False


def test_remove_twice_raises_the_second_time(client: DevClient, seeded: bytes) -> None:
    client.remove(DATA)
    with pytest.raises(TableNotFound):
        client.remove(DATA)


def test_force_remove_clears_a_stale_registry_entry(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    data_file.unlink()  # someone deleted the JSONL by hand; the registry still names DATA
    client.remove(DATA, force=True)
    client.write_table(OTHER_DATA, [{"id": 1}])
    assert client.exists(OTHER_DATA)


def test_remove_leaves_other_tables_alone(client: DevClient, seeded: bytes) -> None:
    client.write_table("//tmp/my_pipeline/other", [{"x": 1}])
    client.remove(DATA)
    assert list(client.read_table("//tmp/my_pipeline/other")) == [{"x": 1}]


# --- row_count ---------------------------------------------------------------------------------


def test_row_count_after_write_and_append(client: DevClient) -> None:
    client.write_table(DATA, ({"id": i} for i in range(7)))
    assert client.row_count(DATA) == 7
    client.write_table(DATA, [{"id": 7}, {"id": 8}], append=True)
    assert client.row_count(DATA) == 9
    client.write_table(DATA, [{"id": 0}])
    assert client.row_count(DATA) == 1


def test_row_count_of_missing_table_raises_table_not_found(client: DevClient) -> None:
    with pytest.raises(TableNotFound, match=DATA) as caught:
        client.row_count(DATA)
    assert caught.value.code == YT_RESOLVE_ERROR


def test_write_caches_the_row_count_in_metadata(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    client.write_table(DATA, ({"id": i} for i in range(5)))
    meta = meta_json(dev_dir, "data")
    stat = data_file.stat()
    assert (meta["rows"], meta["size"], meta["mtime_ns"]) == (5, stat.st_size, stat.st_mtime_ns)


def test_row_count_is_served_from_metadata_while_the_file_is_unchanged(
    client: DevClient, seeded: bytes, dev_dir: Path
) -> None:
    # Tamper with the cached count only: the file's size and mtime still match the cache,
    # so a store that trusts its metadata (instead of rereading the rows) reports the tamper.
    store = MetaStore(dev_dir)
    meta = store.load("data")
    assert meta is not None
    meta.rows = 12345
    store.save("data", meta)
    assert client.row_count(DATA) == 12345


def test_row_count_is_recounted_after_a_hand_edit(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    assert client.row_count(DATA) == 3
    with data_file.open("ab") as handle:
        handle.write(b'{"id":3}\n{"id":4}\n')
    assert client.row_count(DATA) == 5
    assert meta_json(dev_dir, "data")["rows"] == 5  # and the fresh count is cached


def test_row_count_is_recounted_after_a_same_size_edit_with_new_mtime(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    # Same byte length, different number of lines: only the mtime tells the cache is stale.
    assert client.row_count(DATA) == 3
    stat = data_file.stat()
    wide = len(seeded) % 3  # rows of 3 bytes ("{}\n") and 4 bytes ("{ }\n") fill any size
    narrow = (len(seeded) - 4 * wide) // 3
    data_file.write_bytes(b"{}\n" * narrow + b"{ }\n" * wide)
    os.utime(data_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert data_file.stat().st_size == stat.st_size
    assert client.row_count(DATA) == narrow + wide != 3


def test_row_count_of_unregistered_hand_written_file(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n{"id":2}\n{"id":3}')  # no trailing newline
    assert client.row_count(DATA) == 3


# --- path registry and conflicts ---------------------------------------------------------------


def test_second_path_with_same_base_name_raises_path_conflict(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    meta_before = (dev_dir / META_DIR_NAME / "data.json").read_bytes()
    with pytest.raises(PathConflict) as caught:
        client.write_table(OTHER_DATA, [{"overwritten": True}])
    message = caught.value.message
    assert DATA in message
    assert OTHER_DATA in message
    assert str(data_file) in message
    assert data_file.read_bytes() == seeded
    assert (dev_dir / META_DIR_NAME / "data.json").read_bytes() == meta_before
    assert list(dev_dir.glob("*.tmp")) == []


def test_append_to_second_path_with_same_base_name_raises_path_conflict(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    with pytest.raises(PathConflict):
        client.write_table(OTHER_DATA, [{"id": 99}], append=True)
    assert data_file.read_bytes() == seeded


@pytest.mark.parametrize("operation", ["read_table", "row_count", "remove"])
def test_other_operations_on_conflicting_path_refuse_and_keep_the_table(
    client: DevClient, seeded: bytes, data_file: Path, operation: str
) -> None:
    with pytest.raises(PathConflict):
        getattr(client, operation)(OTHER_DATA)
    assert data_file.read_bytes() == seeded
    assert client.exists(DATA)


def test_registry_persists_across_client_instances(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    fresh = DevClient(dev_dir)
    assert fresh.exists(DATA)
    assert fresh.row_count(DATA) == 3
    assert fresh.exists(OTHER_DATA) is False
    with pytest.raises(PathConflict):
        fresh.write_table(OTHER_DATA, [{"id": 1}])
    assert data_file.read_bytes() == seeded


def test_same_base_name_under_different_dev_dirs_is_independent(tmp_path: Path) -> None:
    first = DevClient(tmp_path / "a" / ".dev")
    second = DevClient(tmp_path / "b" / ".dev")
    first.write_table(DATA, [{"id": 1}])
    second.write_table(OTHER_DATA, [{"id": 2}])
    assert list(first.read_table(DATA)) == [{"id": 1}]
    assert list(second.read_table(OTHER_DATA)) == [{"id": 2}]


# --- tables() listing --------------------------------------------------------------------------


def test_tables_lists_registered_tables_with_rows_and_size(
    client: DevClient, dev_dir: Path
) -> None:
    client.write_table(DATA, [{"id": 1}, {"id": 2}])
    client.write_table("//tmp/my_pipeline/alpha", [{"a": 1}])
    assert client.tables.tables() == [
        TableInfo(
            "//tmp/my_pipeline/alpha",
            dev_dir / "alpha.jsonl",
            1,
            (dev_dir / "alpha.jsonl").stat().st_size,
        ),
        TableInfo(DATA, dev_dir / "data.jsonl", 2, (dev_dir / "data.jsonl").stat().st_size),
    ]


def test_tables_lists_unregistered_jsonl_with_no_path(client: DevClient, dev_dir: Path) -> None:
    client.write_table(DATA, [{"id": 1}])
    stray = dev_dir / "stray.jsonl"
    stray.write_bytes(b'{"x":1}\n{"x":2}\n{"x":3}')
    infos = {info.file.name: info for info in client.tables.tables()}
    assert set(infos) == {"data.jsonl", "stray.jsonl"}
    assert infos["stray.jsonl"] == TableInfo(None, stray, 3, stray.stat().st_size)
    assert infos["data.jsonl"].path == DATA


def test_tables_is_empty_for_a_fresh_dev_dir(dev_dir: Path) -> None:
    assert DevTableStore(dev_dir).tables() == []


def test_tables_ignores_metadata_and_temp_files(client: DevClient, dev_dir: Path) -> None:
    client.write_table(DATA, [{"id": 1}])
    (dev_dir / ".data.jsonl.leftover.tmp").write_bytes(b"{}\n")
    (dev_dir / "operation.log").write_text("log\n")
    assert [info.file.name for info in client.tables.tables()] == ["data.jsonl"]


def test_tables_reflects_appends_and_removes(client: DevClient) -> None:
    client.write_table(DATA, [{"id": 1}])
    client.write_table(DATA, [{"id": 2}], append=True)
    [info] = client.tables.tables()
    assert info.rows == 2
    client.remove(DATA)
    assert client.tables.tables() == []
