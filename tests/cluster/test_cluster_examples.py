"""The examples in prod mode on a real YT cluster, when one is configured.

Set ``YT_PROXY`` and ``YT_TOKEN`` in the environment to run them (they override
``configs/secrets.env``). Each example writes its tables at the Cypress paths it names (under
``//tmp``) and uploads its bundle under ``//tmp/ytflow_cluster_tests/``; the rows must equal
the example's dev run. Without those variables every test here is skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from ytflow.dev import DevTableStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
YTFLOW = str(Path(sys.executable).with_name("ytflow"))
NAMES = sorted(path.name for path in EXAMPLES.iterdir() if (path / "pipeline.py").is_file())

pytestmark = pytest.mark.skipif(
    not (os.environ.get("YT_PROXY") and os.environ.get("YT_TOKEN")),
    reason="no YT cluster configured: set YT_PROXY and YT_TOKEN in the environment to run the "
    "examples in prod mode on a real cluster",
)


def _canonical(rows: list[dict[str, Any]]) -> list[bytes]:
    return sorted(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) for row in rows)


@pytest.mark.parametrize("name", NAMES)
def test_example_on_the_cluster_matches_dev(name: str, tmp_path: Path) -> None:
    import yt.wrapper  # noqa: PLC0415 - only with a cluster

    dev = tmp_path / "dev"
    shutil.copytree(EXAMPLES / name, dev, ignore=shutil.ignore_patterns(".dev"))
    dev_env = {key: value for key, value in os.environ.items() if not key.startswith("YT_")}
    ran = subprocess.run(
        [YTFLOW, "run", str(dev)], capture_output=True, text=True, env=dev_env, check=False
    )
    assert ran.returncode == 0, ran.stderr
    store = DevTableStore(dev / ".dev")
    expected = {info.path: list(store.read(info.path)) for info in store.tables() if info.path}

    prod = tmp_path / "prod"
    shutil.copytree(EXAMPLES / name, prod, ignore=shutil.ignore_patterns(".dev"))
    config_file = prod / "configs" / "config.yaml"
    config: dict[str, Any] = yaml.safe_load(config_file.read_text())
    config["pipeline"]["mode"] = "prod"
    config["pipeline"]["build_folder"] = f"//tmp/ytflow_cluster_tests/{name}/build"
    config_file.write_text(yaml.safe_dump(config))
    ran = subprocess.run([YTFLOW, "run", str(prod)], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert os.environ["YT_TOKEN"] not in ran.stdout + ran.stderr

    client = yt.wrapper.YtClient(proxy=os.environ["YT_PROXY"], token=os.environ["YT_TOKEN"])
    for path, rows in expected.items():
        assert _canonical(list(client.read_table(path))) == _canonical(rows), path
