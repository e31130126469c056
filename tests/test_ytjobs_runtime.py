"""ytjobs: the package surface (cheap, ytflow-free imports), logging, secrets and config
inside a job. The row I/O of ytjobs.io lives in test_ytjobs_io.py.

Whatever touches stdin, stdout, stderr, file descriptors or exit status runs in a real child
Python process, the way ytflow's dev runner and YT's job proxy start jobs.
"""

from __future__ import annotations

import ast
import logging
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ytjobs_helpers import MAPPER, REPO, job_env, parse_jsonl, run_job

import ytjobs
from ytjobs import config, secrets
from ytjobs.logging import get_logger

YTJOBS_DIR = REPO / "ytjobs"


# --- the package surface ------------------------------------------------------------------


def test_all_lists_the_submodules() -> None:
    assert ytjobs.__all__ == ["config", "io", "logging", "secrets"]


def test_import_ytjobs_is_cheap(tmp_path: Path) -> None:
    result = run_job(
        tmp_path,
        """
        import sys
        import ytjobs
        assert {"orjson", "logging", "yaml", "json"}.isdisjoint(sys.modules), sys.modules.keys()
        import ytjobs.io
        assert "orjson" not in sys.modules, "orjson is imported on first use, not on import"
        assert ytjobs.secrets.get("NOPE") is None  # attribute access loads the submodule
        assert "logging" not in sys.modules
        """,
    )
    assert result.returncode == 0, result.stderr.decode()


def test_using_every_module_never_imports_ytflow(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("a: 1\n", encoding="utf-8")
    result = run_job(
        tmp_path,
        """
        import sys
        from ytjobs import config, io, logging, secrets

        rows = list(io.read_rows())
        io.write_rows(rows)
        io.flush()
        logging.get_logger().info("hello")
        assert secrets.get("X") == "x"
        assert config.load_config() == {"a": 1}
        leaked = sorted(m for m in sys.modules if m == "ytflow" or m.startswith("ytflow."))
        assert not leaked, leaked
        """,
        stdin=b'{"id": 1}\n',
        env=job_env(YT_SECURE_VAULT_X="x", JOB_CONFIG_PATH=str(tmp_path / "config.yaml")),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert parse_jsonl(result.stdout) == [{"id": 1}]


def test_sources_import_only_the_standard_library() -> None:
    allowed_third_party = {"orjson", "yaml"}  # both imported lazily, both optional
    for path in sorted(YTJOBS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top != "ytflow", f"{path.name} imports {name}"
                ok = top in sys.stdlib_module_names or top in allowed_third_party
                assert ok or top in {"ytjobs", "_typeshed"}, f"{path.name} imports {name}"


def test_a_bundle_with_only_ytjobs_runs_on_a_bare_interpreter(tmp_path: Path) -> None:
    # -E -s -S: no PYTHONPATH and no site-packages at all (no orjson, no PyYAML, no ytflow), like
    # a minimal image; the bundle root is importable as the job script's folder.
    bundle = tmp_path / "bundle"
    shutil.copytree(YTJOBS_DIR, bundle / "ytjobs", ignore=shutil.ignore_patterns("__pycache__"))
    (bundle / "mapper.py").write_text(textwrap.dedent(MAPPER), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-E", "-s", "-S", str(bundle / "mapper.py")],
        input=b'{"id": 3}\n',
        capture_output=True,
        cwd=bundle,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert parse_jsonl(result.stdout) == [{"id": 3, "double": 6}]
    assert result.stderr.decode().strip() == "json"


# --- logging ------------------------------------------------------------------------------


def test_logger_writes_to_stderr_never_stdout(tmp_path: Path) -> None:
    result = run_job(
        tmp_path,
        """
        import logging, sys
        logging.basicConfig(stream=sys.stdout)  # a library pointing the root logger at stdout
        from ytjobs.logging import get_logger
        get_logger().info("hello %s", "job")
        get_logger().info("once")  # a second call adds no second handler
        get_logger("other").debug("hidden at INFO")
        """,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 2, lines
    pattern = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO job: hello job$"
    assert re.match(pattern, lines[0]), lines[0]
    assert lines[1].endswith("INFO job: once")


def test_log_level_comes_from_the_environment(tmp_path: Path) -> None:
    code = """
        from ytjobs.logging import get_logger
        get_logger().debug("debug line")
        get_logger().info("info line")
        get_logger().warning("warning line")
    """
    debug = run_job(tmp_path, code, env=job_env(YTJOBS_LOG_LEVEL="debug"))
    assert debug.stderr.decode().count(" line") == 3
    warning = run_job(tmp_path, code, env=job_env(YTJOBS_LOG_LEVEL="WARNING"))
    assert warning.stderr.decode().count(" line") == 1


def test_get_logger_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YTJOBS_LOG_LEVEL", raising=False)
    logger = get_logger("ytjobs-test-idempotent")
    assert get_logger("ytjobs-test-idempotent") is logger
    assert len(logger.handlers) == 1
    assert logger.level == logging.INFO
    assert logger.propagate is False


def test_a_bad_log_level_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YTJOBS_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="YTJOBS_LOG_LEVEL='LOUD' is not a log level"):
        get_logger("ytjobs-test-bad-level")
    assert logging.getLogger("ytjobs-test-bad-level").handlers == []


# --- secrets ------------------------------------------------------------------------------


def test_secrets_come_from_the_secure_vault_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YT_SECURE_VAULT_X", "value-of-x")
    monkeypatch.delenv("YT_SECURE_VAULT_ABSENT", raising=False)
    assert secrets.get("X") == "value-of-x"
    assert secrets.require("X") == "value-of-x"
    assert secrets.get("ABSENT") is None
    assert secrets.get("ABSENT", "fallback") == "fallback"


def test_a_missing_secret_names_the_key_but_never_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YT_SECURE_VAULT_OTHER", "hunter2-other")
    monkeypatch.setenv("YT_SECURE_VAULT_EMPTY", "")
    monkeypatch.delenv("YT_SECURE_VAULT_API_KEY", raising=False)
    with pytest.raises(KeyError) as caught:
        secrets.require("API_KEY")
    error = caught.value
    assert isinstance(error, secrets.MissingSecretError)
    message = str(error)
    assert "'API_KEY'" in message
    assert "YT_SECURE_VAULT_API_KEY" in message
    assert "configs/secrets.env" in message
    assert not message.startswith("'"), "no KeyError-style quoting of the whole message"
    assert "hunter2" not in message + repr(error)
    with pytest.raises(secrets.MissingSecretError, match="'EMPTY' is not set"):
        secrets.require("EMPTY")


def test_secret_keys_are_validated() -> None:
    with pytest.raises(ValueError, match="secret key"):
        secrets.get("")
    with pytest.raises(ValueError, match="secret key"):
        secrets.get("A=B")


def test_a_job_reads_its_secret(tmp_path: Path) -> None:
    result = run_job(
        tmp_path,
        "from ytjobs import secrets\nprint(secrets.require('MY_API_KEY'))\n",
        env=job_env(YT_SECURE_VAULT_MY_API_KEY="k-123"),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"k-123\n"


# --- config -------------------------------------------------------------------------------


def test_config_path_unset_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOB_CONFIG_PATH", raising=False)
    with pytest.raises(RuntimeError, match="JOB_CONFIG_PATH is not set") as caught:
        config.get_config_path()
    assert "ytflow sets it" in str(caught.value)


def test_config_path_to_a_missing_file_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nope" / "config.yaml"
    monkeypatch.setenv("JOB_CONFIG_PATH", str(missing))
    with pytest.raises(RuntimeError, match="does not point to a file") as caught:
        config.get_config_path()
    assert str(missing) in str(caught.value)


def test_load_config_parses_the_stage_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("client:\n  threshold: 0.5\n  names: [a, b]\n", encoding="utf-8")
    monkeypatch.setenv("JOB_CONFIG_PATH", str(path))
    assert config.get_config_path() == path
    assert config.load_config() == {"client": {"threshold": 0.5, "names": ["a", "b"]}}
    path.write_text("", encoding="utf-8")
    assert config.load_config() == {}
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="top level must be a mapping"):
        config.load_config()
    path.write_text("a: [1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        config.load_config()


def test_load_config_without_pyyaml_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    monkeypatch.setenv("JOB_CONFIG_PATH", str(path))
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(RuntimeError, match="needs PyYAML"):
        config.load_config()
