"""``ytflow local-yt`` as a real process: serve, stop on signals, restart, refuse a second.

Each test starts the CLI in a subprocess and talks to it only through the unmodified
ytsaurus-client with nothing but the printed proxy URL, as a user would.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yt.wrapper as yt
from conftest import run_cli, run_python, start_cli

STOP_WITHIN = 5.0  # seconds a signalled server may take to exit


def _start(root: Path, port_file: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``ytflow local-yt`` on a free port; return it and its URL once it serves."""
    process = start_cli("local-yt", "--port", "0", "--root", root, "--port-file", port_file, *extra)
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(f"local-yt exited {process.returncode} before serving:\n{stderr}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("local-yt did not write its port file within 30 s")
        time.sleep(0.05)
    return process, f"http://127.0.0.1:{int(port_file.read_text())}"


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str, float]:
    """Send ``signum``; return exit code, stdout, stderr and how long the exit took."""
    started = time.monotonic()
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=STOP_WITHIN * 3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"local-yt did not exit after signal {signum}")
    return process.returncode, stdout, stderr, time.monotonic() - started


def _client(url: str) -> yt.YtClient:
    # The printed snippet: the proxy URL and nothing else.
    return yt.YtClient(proxy=url)


def test_serves_the_client_stops_on_sigterm_and_restart_keeps_the_data(tmp_path: Path) -> None:
    root, port_file = tmp_path / "root", tmp_path / "port"
    process, url = _start(root, port_file)
    client = _client(url)
    client.write_table("//tmp/t", [{"a": 1, "s": "x"}, {"a": 2, "s": "y"}])
    client.write_table(yt.TablePath("//tmp/t", append=True), [{"a": 3, "s": "z"}])
    client.write_file("//tmp/f.txt", b"file body")
    assert list(client.read_table("//tmp/t[#1:]")) == [{"a": 2, "s": "y"}, {"a": 3, "s": "z"}]
    # The yt command line, pointed at it with YT_PROXY as the banner says.
    yt_cli = subprocess.run(
        [Path(sys.executable).parent / "yt", "read-table", "//tmp/t[#2:]", "--format", "json"],
        env={**os.environ, "YT_PROXY": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert yt_cli.returncode == 0, yt_cli.stderr
    assert [json.loads(line) for line in yt_cli.stdout.splitlines()] == [{"a": 3, "s": "z"}]

    code, stdout, stderr, took = _stop(process, signal.SIGTERM)
    assert code == 0, stderr
    assert took < STOP_WITHIN
    assert "local-yt stopped (SIGTERM)" in stderr
    # The banner: the URL, the two-line client snippet, YT_PROXY for the CLI and for ytflow.
    assert f"local-yt serving {root.resolve()} at {url}" in stdout
    assert "  import yt.wrapper as yt\n" in stdout
    assert f'  client = yt.YtClient(proxy="{url}")\n' in stdout
    assert f"export YT_PROXY={url}" in stdout
    assert f"YT_PROXY={url} in configs/secrets.env" in stdout
    assert not (root / ".lock.json").exists()  # the holder's details go with it

    assert not port_file.exists()  # removed on stop: it never names a dead port
    process, url = _start(root, port_file)
    client = _client(url)
    assert list(client.read_table("//tmp/t")) == [
        {"a": 1, "s": "x"},
        {"a": 2, "s": "y"},
        {"a": 3, "s": "z"},
    ]
    assert client.get("//tmp/t/@row_count") == 3
    assert client.read_file("//tmp/f.txt").read() == b"file body"

    code, _, stderr, took = _stop(process, signal.SIGINT)
    assert code == 130, stderr
    assert took < STOP_WITHIN
    assert "local-yt stopped (interrupted)" in stderr


def test_a_second_server_on_the_same_root_is_refused_and_names_the_first(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    process, url = _start(root, tmp_path / "port")
    try:
        second = run_cli("local-yt", "--port", "0", "--root", root)
        assert second.returncode == 3, second.stderr
        assert f"the local-yt root {root.resolve()} is in use by another local-yt" in second.stderr
        assert f"pid {process.pid} serving {url}" in second.stderr
        assert "would corrupt it" in second.stderr
        # The refused one changed nothing: the first still serves.
        assert _client(url).exists("//tmp")
    finally:
        code, _, stderr, _ = _stop(process, signal.SIGTERM)
    assert code == 0, stderr


def test_sigterm_mid_request_exits_promptly_and_the_table_stays_as_it_was(
    tmp_path: Path,
) -> None:
    root, port_file = tmp_path / "root", tmp_path / "port"
    process, url = _start(root, port_file)
    _client(url).write_table("//tmp/t", [{"old": True}])
    # A write_table whose body is still arriving when the server is told to stop.
    port = int(port_file.read_text())
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("PUT", "/api/v4/write_table")
    connection.putheader("X-YT-Parameters", json.dumps({"path": "//tmp/t"}))
    connection.putheader("X-YT-Input-Format", json.dumps("json"))
    connection.putheader("X-YT-Header-Format", "json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    part = b'{"new": 1}\n' * 1000
    connection.send(b"%x\r\n%s\r\n" % (len(part), part))
    time.sleep(0.3)

    code, _, stderr, took = _stop(process, signal.SIGTERM)
    connection.close()
    assert code == 0, stderr
    assert took < STOP_WITHIN

    assert not port_file.exists()  # removed on stop: it never names a dead port
    process, url = _start(root, port_file)
    try:
        assert list(_client(url).read_table("//tmp/t")) == [{"old": True}]
    finally:
        _stop(process, signal.SIGTERM)


def test_port_in_use_is_a_usage_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("local-yt", "--port", str(port), "--root", tmp_path / "root")
    assert result.returncode == 2
    assert f"error: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port 0" in result.stderr


def test_unwritable_port_file_stops_the_server_and_frees_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = run_cli(
        "local-yt", "--port", "0", "--root", root, "--port-file", tmp_path / "no" / "port"
    )
    assert result.returncode == 2
    assert f"cannot write the port file {tmp_path / 'no' / 'port'}" in result.stderr
    process, _ = _start(root, tmp_path / "port")  # the root is not left locked
    assert _stop(process, signal.SIGTERM)[0] == 0


BLOCK_YT = """
import importlib.abc, sys

class BlockYt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "yt" or name.startswith("yt."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, BlockYt())
sys.argv = ["ytflow", "local-yt", "--port", "0", "--root", sys.argv[1]]
from ytflow.cli.app import main
main()
"""


def test_without_ytsaurus_client_it_names_the_prod_extra(tmp_path: Path) -> None:
    result = run_python("-c", BLOCK_YT, tmp_path / "root")
    assert result.returncode == 2, result.stderr
    assert "ytflow local-yt needs ytsaurus-client" in result.stderr
    assert "pip install 'ytflow[prod]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "root").exists()  # nothing created before the check


def test_help_names_the_options_and_exit_codes() -> None:
    result = run_cli("local-yt", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for expected in (
        "--port N",
        "0 picks a free one",
        "--root DIR",
        "[default: .localyt]",
        "--port-file FILE",
        "127.0.0.1 only",
        "YT_PROXY=URL in configs/secrets.env",
        "pip install 'ytflow[prod]'",
        "3 another local-yt serves this root",
        "130 interrupted",
    ):
        assert expected in text, expected
