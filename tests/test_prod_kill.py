"""A prod write killed with SIGKILL mid-stream leaves Cypress as it was: the rows already sent
and the table (and folders) the write created belong to one transaction, never committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.prod_helpers import prod_client, record_commands
from ytflow.localyt import LocalYt

WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.prod_helpers import prod_client, record_commands
from ytflow.localyt import LocalYt

class Endpoint:  # what prod_client reads of a LocalYt
    proxy_url = {proxy!r}

marker = Path({marker!r})

def rows():
    for i in range(100_000):
        if i == 3_000:  # about 3 MB sent in requests of 1 MB
            marker.write_text("sent")
            time.sleep(60)
        yield {{"id": i, "pad": "x" * 1000}}

config = {{"write_retries": {{"chunk_size": 1 << 20}}}}
client = prod_client(Endpoint(), Path({root!r}), yt_config=config)
client.write_table({table!r}, rows())
"""


@pytest.mark.parametrize("existing", [True, False], ids=["replace", "create"])
def test_a_killed_writer_leaves_cypress_as_it_was(
    local_yt: LocalYt, tmp_path: Path, existing: bool
) -> None:
    prod = prod_client(local_yt, tmp_path)
    table = "//tmp/k/data" if existing else "//tmp/new/deep/data"
    if existing:
        prod.write_table(table, [{"id": -1}])
    sent = record_commands(local_yt, "write_table")
    marker = tmp_path / "marker"
    source = WRITER.format(
        repo=str(Path(__file__).resolve().parents[1]),
        proxy=local_yt.proxy_url,
        marker=str(marker),
        root=str(tmp_path),
        table=table,
    )
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(source)])
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert child.poll() is None, "the writer ended before sending its rows"
            assert time.monotonic() < deadline, "the writer never sent 3,000 rows"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert len(sent) >= 2  # the killed writer's rows did reach the cluster
    assert all(params.get("transaction_id") for _command, params in sent)
    if existing:
        assert list(prod.read_table(table)) == [{"id": -1}]
        assert prod.row_count(table) == 1
    else:
        assert not prod.exists(table)
        assert not prod.yt.exists("//tmp/new")  # nor the folders it created
