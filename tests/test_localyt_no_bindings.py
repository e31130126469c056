"""Without ``ytsaurus-yson``: the client (and local-yt in the same process) on pure-Python YSON.

The client then needs JSON for tabular data (its YSON row format requires the bindings), so
this is the issue's second configuration for real: bindings absent, JSON forced by config.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys

    class BlockBindings:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "yt_yson_bindings":
                raise ImportError("ytsaurus-yson hidden by the test")
            return None

    sys.meta_path.insert(0, BlockBindings())

    import yt.yson
    import yt.wrapper as yt
    from ytflow.localyt import LocalYt

    assert yt.yson.TYPE == "PYTHON", yt.yson.TYPE
    with LocalYt(sys.argv[1]) as local:
        config = {"structured_data_format": "json", "tabular_data_format": yt.JsonFormat()}
        client = yt.YtClient(proxy=local.proxy_url, token="t", config=config)
        client.write_table("//tmp/t", [{"a": 1, "s": "héllo"}, {"a": 2, "s": "wörld"}])
        with client.Transaction():
            client.create("map_node", "//tmp/made_in_tx")
        client.write_file("//tmp/f", b"bytes")
        client.run_map("cat", "//tmp/t", "//tmp/copy", format=yt.JsonFormat())
        print(sorted(row["s"] for row in client.read_table("//tmp/copy")))
        print(bool(client.exists("//tmp/made_in_tx")), client.read_file("//tmp/f").read())
        print(client.get("//tmp/t/@row_count"), client.list("//tmp"))
    """
)


def test_client_without_yson_bindings_works_in_json(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "root")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "['héllo', 'wörld']",
        "True b'bytes'",
        "2 ['copy', 'f', 'made_in_tx', 't']",
    ]
