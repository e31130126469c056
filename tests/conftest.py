"""Shared fixtures: real pipeline folders in ``tmp_path`` and real ``ytflow`` subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from dev_table_helpers import DATA
from hypothesis import settings
from localyt_helpers import CLIENT_FLAVORS, make_client

from ytflow.dev.client import DevClient
from ytflow.localyt import LocalYt

# The suite is a landing gate, so fuzz tests draw the same examples on every run (a failure
# reproduces); HYPOTHESIS_PROFILE=explore draws new ones, to hunt for bugs locally.
settings.register_profile("ytflow", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ytflow"))


def pytest_configure(config: pytest.Config) -> None:
    """Deliver SIGINT to the processes the tests start. A shell without job control (a CI
    script, ``cmd &``) starts background commands with SIGINT ignored, and an ignored signal
    stays ignored across exec, so ytflow and local-yt processes would never see the Ctrl-C
    the interrupt tests send. A handler here is reset to the default in every child."""
    del config
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


PIPELINE_PY = 'from ytflow import Pipeline\n\nif __name__ == "__main__":\n    Pipeline.main()\n'

_VENV_SCRIPT = Path(sys.executable).parent / "ytflow"


def _ytflow_command() -> list[str]:
    """The ``ytflow`` console script next to the interpreter, else the app module."""
    if _VENV_SCRIPT.is_file():
        return [str(_VENV_SCRIPT)]
    found = shutil.which("ytflow")
    if found:
        return [found]
    return [sys.executable, "-c", "from ytflow.cli.app import main; main()"]


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # Wide, colourless terminal output so rich tables do not wrap cells mid-word.
    env["COLUMNS"] = "200"
    env.pop("FORCE_COLOR", None)
    env["NO_COLOR"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


def run_cli(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``ytflow ARGS`` in a real subprocess; text output, never raises on exit code."""
    return subprocess.run(
        [*_ytflow_command(), *(str(arg) for arg in args)],
        cwd=cwd,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start_cli(*args: str | Path, new_session: bool = False) -> subprocess.Popen[str]:
    """Start ``ytflow ARGS`` in the background (text pipes): to signal it or race another run.

    ``new_session``: its own process group and session, like a job started from a shell.
    """
    return subprocess.Popen(
        [*_ytflow_command(), *(str(arg) for arg in args)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )


def run_python(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` with the test interpreter (``python pipeline.py``, ``-c`` snippets)."""
    return subprocess.run(
        [sys.executable, *(str(arg) for arg in args)],
        cwd=cwd,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stage_code(body: str = "", *, imports: str = "", cls: str = "TheStage") -> str:
    """A stage.py with one Stage subclass whose ``run`` executes ``body`` then returns debug."""
    body_text = textwrap.indent(textwrap.dedent(body).strip() or "pass", " " * 8)
    header = textwrap.dedent(imports).strip()
    return (
        (header + "\n" if header else "")
        + "from ytflow import Stage\n\n\n"
        + f"class {cls}(Stage):\n"
        + "    def run(self, debug):\n"
        + body_text
        + "\n        return debug\n"
    )


def default_config(stage_names: list[str]) -> str:
    return "pipeline:\n  mode: dev\nstages:\n  enabled_stages: [" + ", ".join(stage_names) + "]\n"


MakePipeline = Callable[..., Path]


@pytest.fixture
def make_pipeline(tmp_path: Path) -> MakePipeline:
    """Write a pipeline folder; ``stages`` maps name -> stage.py source.

    ``config`` is the text of configs/config.yaml (default: dev, all stages in the given
    order); ``stage_configs`` maps name -> stages/<name>/config.yaml text; ``files`` maps
    pipeline-relative paths to extra file contents.
    """

    def factory(
        stages: Mapping[str, str],
        config: str | None = None,
        stage_configs: Mapping[str, str] | None = None,
        files: Mapping[str, str] | None = None,
        name: str = "pipe",
    ) -> Path:
        root = tmp_path / name
        (root / "configs").mkdir(parents=True)
        (root / "pipeline.py").write_text(PIPELINE_PY, encoding="utf-8")
        text = default_config(list(stages)) if config is None else config
        (root / "configs" / "config.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        for stage_name, source in stages.items():
            folder = root / "stages" / stage_name
            folder.mkdir(parents=True)
            (folder / "stage.py").write_text(textwrap.dedent(source), encoding="utf-8")
        for stage_name, yaml_text in (stage_configs or {}).items():
            folder = root / "stages" / stage_name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "config.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
        for relative, content in (files or {}).items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return factory


def read_dev_table(root: Path, base_name: str) -> list[dict[str, Any]]:
    """Rows of ``.dev/<base_name>.jsonl`` as written by the dev backend."""
    path = root / ".dev" / f"{base_name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def assert_config_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, no traceback, exactly one ``error:`` message that contains every fragment."""
    stderr = result.stderr
    assert result.returncode == 2, (result.returncode, stderr, result.stdout)
    assert "Traceback" not in stderr, stderr
    assert stderr.startswith("error: "), stderr
    assert stderr.count("error:") == 1, stderr
    for fragment in fragments:
        assert fragment in stderr, f"{fragment!r} not in stderr:\n{stderr}"


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """Undo what an in-process pipeline run does to sys.path and sys.modules."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        if name.startswith(("_ytflow_stage_", "stages")):
            del sys.modules[name]


# --- the dev table store (``test_dev_tables_*.py``) ------------------------------------------


@pytest.fixture
def dev_dir(tmp_path: Path) -> Path:
    return tmp_path / ".dev"


@pytest.fixture
def client(dev_dir: Path) -> DevClient:
    return DevClient(dev_dir)


@pytest.fixture
def data_file(dev_dir: Path) -> Path:
    return dev_dir / "data.jsonl"


@pytest.fixture
def seeded(client: DevClient, data_file: Path) -> bytes:
    """DATA holds three rows; returns the file's bytes for byte-for-byte comparisons."""
    client.write_table(DATA, [{"id": 0}, {"id": 1, "name": "b"}, {"id": 2}])
    return data_file.read_bytes()


@pytest.fixture
def local_yt(tmp_path: Path) -> Iterator[LocalYt]:
    """A running local-yt over a fresh root (``tmp_path / 'localyt'``)."""
    with LocalYt(tmp_path / "localyt") as local:
        yield local


# The JSON configuration (what a client without YSON bindings uses) runs in the slow step;
# tests/test_localyt_no_bindings.py keeps one real no-bindings run in the default suite.
@pytest.fixture(
    params=[
        flavor if flavor == "yson" else pytest.param(flavor, marks=pytest.mark.slow)
        for flavor in CLIENT_FLAVORS
    ]
)
def yt_client(request: pytest.FixtureRequest, local_yt: LocalYt) -> Any:
    """The real ytsaurus-client against ``local_yt``, once per client configuration."""
    return make_client(local_yt, request.param)
