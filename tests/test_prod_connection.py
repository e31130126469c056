"""Prod mode's connection: credentials, yt_config, a refused token, no ``ytsaurus-yson``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import assert_config_error, run_cli, stage_code
from localyt_helpers import make_client as make_yt_client
from prod_helpers import TOKEN, prod_client

from ytflow.core.backends import make_client
from ytflow.core.config import load_pipeline_config
from ytflow.errors import ConfigError
from ytflow.localyt import LocalYt
from ytflow.prod.client import ProdClient
from ytflow.prod.connection import WRITE_CHUNK_BYTES, Credentials

PROD_CONFIG = """\
pipeline:
  mode: prod
  build_folder: //tmp/pipe/build
  yt_config: {yt_config}
stages:
  enabled_stages: [write]
"""
WRITE_STAGE = stage_code(
    'self.deps.yt_client.write_table("//tmp/pipe/out", [{"mode": self.deps.yt_client.mode, '
    '"s": "ünï ✓"}])'
)


@pytest.fixture
def guarded_local_yt(tmp_path: Path):
    """A local-yt that accepts only ``TOKEN``."""
    with LocalYt(tmp_path / "guarded", token=TOKEN) as local:
        yield local


@pytest.fixture(autouse=True)
def _no_cluster_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)


def _pipeline(
    make_pipeline, *, secrets: str | None, yt_config: str = "{}", name: str = "pipe"
) -> Path:
    files = {"configs/secrets.env": secrets} if secrets is not None else {}
    return make_pipeline(
        {"write": WRITE_STAGE},
        config=PROD_CONFIG.format(yt_config=yt_config),
        files=files,
        name=name,
    )


def _make(root: Path) -> ProdClient:
    config = load_pipeline_config(root / "configs" / "config.yaml")
    client = make_client(config, root, config_display="configs/config.yaml")
    assert isinstance(client, ProdClient)
    return client


def test_a_prod_run_writes_through_the_proxy_with_the_token(make_pipeline, guarded_local_yt):
    secrets = f"YT_PROXY={guarded_local_yt.proxy_url}\nYT_TOKEN={TOKEN}\nAPI_KEY=vault-1234\n"
    root = _pipeline(make_pipeline, secrets=secrets)
    result = run_cli("run", root)
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    yt = make_yt_client(guarded_local_yt)  # local-yt's client config carries its token
    assert list(yt.read_table("//tmp/pipe/out")) == [{"mode": "prod", "s": "ünï ✓"}]
    assert not (root / ".dev").exists()


def test_a_refused_token_is_a_config_error_naming_yt_token_and_proxy(
    make_pipeline, guarded_local_yt
):
    wrong = "wrong-token-5c1e9b"
    secrets = f"YT_PROXY={guarded_local_yt.proxy_url}\nYT_TOKEN={wrong}\n"
    root = _pipeline(make_pipeline, secrets=secrets)
    result = run_cli("run", root)
    assert_config_error(result, "YT_TOKEN", guarded_local_yt.proxy_url, "configs/secrets.env")
    assert wrong not in result.stdout + result.stderr
    assert "stage write" not in result.stderr  # refused before the first stage
    assert not make_yt_client(guarded_local_yt).exists("//tmp/pipe/out")


def test_an_unreachable_proxy_is_a_config_error_at_once(make_pipeline, tmp_path):
    secrets = f"YT_PROXY=http://127.0.0.1:1\nYT_TOKEN={TOKEN}\n"
    root = _pipeline(make_pipeline, secrets=secrets)
    started = time.perf_counter()
    with pytest.raises(
        ConfigError, match=r"YT_PROXY.*cannot reach the YT proxy http://127.0.0.1:1"
    ):
        _make(root)
    assert time.perf_counter() - started < 10  # one attempt, not minutes of the client's retries


def test_environment_overrides_secrets_env_which_may_then_be_absent(
    make_pipeline, local_yt, monkeypatch
):
    root = _pipeline(make_pipeline, secrets=None)
    monkeypatch.setenv("YT_PROXY", local_yt.proxy_url)
    monkeypatch.setenv("YT_TOKEN", TOKEN)
    client = _make(root)
    assert client.yt.config["proxy"]["url"] == local_yt.proxy_url
    # A file with other values loses to the environment, key by key; its job secrets stay.
    (root / "configs" / "secrets.env").write_text(
        "YT_PROXY=http://127.0.0.1:1\nYT_TOKEN=file-token-0000\nAPI_KEY=vault-1234\n"
    )
    client = _make(root)
    assert client.yt.config["proxy"]["url"] == local_yt.proxy_url
    assert client.yt.config["token"] == TOKEN
    assert client.secrets.vault() == {"API_KEY": "vault-1234"}
    assert client.secrets.mask(f"token {TOKEN}") == "token ***"


def test_missing_secrets_env_or_key_names_file_and_keys(make_pipeline, local_yt, monkeypatch):
    root = _pipeline(make_pipeline, secrets=None)
    with pytest.raises(ConfigError) as caught:
        _make(root)
    assert caught.value.exit_code == 2
    assert all(
        part in str(caught.value) for part in ("configs/secrets.env", "YT_PROXY", "YT_TOKEN")
    )
    (root / "configs" / "secrets.env").write_text(f"YT_PROXY={local_yt.proxy_url}\n")
    with pytest.raises(ConfigError, match=r"configs/secrets.env.*YT_TOKEN is missing"):
        _make(root)
    monkeypatch.setenv("YT_TOKEN", TOKEN)  # the environment fills in the missing key
    assert _make(root).exists("//tmp/nothing") is False


def test_yt_config_is_deep_merged_and_checked(make_pipeline, local_yt):
    secrets = f"YT_PROXY={local_yt.proxy_url}\nYT_TOKEN={TOKEN}\n"
    root = _pipeline(make_pipeline, secrets=secrets, yt_config="{proxy: {request_timeout: 12345}}")
    config = _make(root).yt.config
    assert config["proxy"]["request_timeout"] == 12345
    assert config["proxy"]["retries"]["enable"] is True  # the rest of proxy: kept
    # ytflow's own default: write_table streams hold 16 MB at a time, not the client's 128 MB
    assert config["write_retries"]["chunk_size"] == WRITE_CHUNK_BYTES == 16 << 20
    tuned = _pipeline(
        make_pipeline,
        secrets=secrets,
        yt_config="{write_retries: {chunk_size: 1048576}}",
        name="tuned",
    )
    assert _make(tuned).yt.config["write_retries"]["chunk_size"] == 1 << 20
    root = _pipeline(make_pipeline, secrets=secrets, yt_config="{no_such_option: 1}", name="other")
    with pytest.raises(ConfigError, match=r"pipeline.yt_config.*no_such_option"):
        _make(root)


def test_the_token_is_never_shown():
    credentials = Credentials(proxy="http://proxy", token=TOKEN)
    assert TOKEN not in repr(credentials)
    assert TOKEN not in str(credentials)


def test_local_yt_with_token_answers_as_ytsaurus_http_proxy(guarded_local_yt):
    url = guarded_local_yt.proxy_url
    with urllib.request.urlopen(f"{url}/hosts") as response:  # open, as on a cluster
        assert json.loads(response.read()) == [url.removeprefix("http://")]
    request = urllib.request.Request(
        f"{url}/api/v4/list", headers={"Authorization": "OAuth nope-1234"}, method="GET"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    refusal = caught.value
    with refusal:
        assert refusal.code == 401
        error = json.loads(refusal.headers["X-YT-Error"])
        assert (error["code"], error["message"]) == (111, "Token is missing in Cypress")
        assert "nope-1234" not in refusal.headers["X-YT-Error"]


NO_BINDINGS = textwrap.dedent(
    """
    import sys

    class BlockBindings:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "yt_yson_bindings":
                raise ImportError("ytsaurus-yson hidden by the test")
            return None

    sys.meta_path.insert(0, BlockBindings())
    sys.path.insert(0, sys.argv[2])

    import yt.yson
    from prod_helpers import prod_client
    from ytflow.localyt import LocalYt

    assert yt.yson.TYPE == "PYTHON", yt.yson.TYPE
    with LocalYt(sys.argv[1]) as local:
        client = prod_client(local, local.root)
        client.write_table("//tmp/t", [{"a": 1, "s": "héllo"}, {"a": 2, "s": "wörld"}])
        print([row["s"] for row in client.read_table("//tmp/t")], client.row_count("//tmp/t"))
        print(client.run_yql("SELECT MAX(s) AS s FROM `//tmp/t`;"))
    """
)


def test_prod_client_works_without_yson_bindings(tmp_path):
    tests = Path(__file__).parent
    result = subprocess.run(
        [sys.executable, "-c", NO_BINDINGS, str(tmp_path / "root"), str(tests)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["['héllo', 'wörld'] 2", "[{'s': 'wörld'}]"]


def test_prod_client_helper_matches_make_client(local_yt, tmp_path):
    """The tests' direct client and ``make_client``'s differ only in where credentials live."""
    client = prod_client(local_yt, tmp_path)
    assert client.yt.config["token"] == TOKEN
    assert client.mode == "prod"
