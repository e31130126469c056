"""ytjobs: the runtime job code imports inside a job.

Whatever touches stdin, stdout, stderr, file descriptors or exit status runs in a real child
Python process, the way ytflow's dev runner and YT's job proxy start jobs.
"""

from __future__ import annotations

import ast
import io
import itertools
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

import ytjobs
from ytjobs import config, secrets
from ytjobs.io import groups, read_rows, write_row
from ytjobs.logging import get_logger

REPO = Path(__file__).resolve().parents[1]
YTJOBS_DIR = REPO / "ytjobs"
CODECS = ["orjson", "json"]
HIDE_ORJSON = "import sys\nsys.modules['orjson'] = None  # the job image has no orjson\n"


def job_env(**extra: str) -> dict[str, str]:
    """The parent's environment minus anything ytjobs reads, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("YT_SECURE_VAULT_", "JOB_CONFIG_PATH", "YTJOBS_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def write_script(tmp_path: Path, code: str, *, codec: str = "orjson") -> Path:
    script = tmp_path / "job.py"
    prelude = HIDE_ORJSON if codec == "json" else ""
    script.write_text(prelude + textwrap.dedent(code), encoding="utf-8")
    return script


def run_job(
    tmp_path: Path,
    code: str,
    *,
    stdin: bytes = b"",
    codec: str = "orjson",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    script = write_script(tmp_path, code, codec=codec)
    return subprocess.run(
        [sys.executable, str(script)],
        input=stdin,
        capture_output=True,
        env=env or job_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def parse_jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


MAPPER = """
    from ytjobs.io import codec_name, read_rows, write_row
    import sys

    for row in read_rows():
        row["double"] = row["id"] * 2
        write_row(row)
    print(codec_name(), file=sys.stderr)
"""


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


# --- io: mapper round trip, both codecs ---------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_mapper_round_trips_rows_through_stdin_and_stdout(tmp_path: Path, codec: str) -> None:
    rows: list[dict[str, Any]] = [
        {"id": 1, "name": "ascii"},
        {"id": 2, "name": "юникод ✓", "nested": {"list": [1, 2.5, None, True]}},
        {"id": 3, "big": 2**62, "neg": -0.5, "empty": ""},
    ]
    many = [{"id": i, "pad": "x" * 40} for i in range(40_000)]  # > BUFFER_BYTES of output
    stdin = jsonl(rows[:1]) + b"\n  \n" + jsonl(rows[1:]) + b"\r\n" + jsonl(many)
    result = run_job(tmp_path, MAPPER, stdin=stdin, codec=codec)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr.decode().strip() == codec
    assert parse_jsonl(result.stdout) == [{**row, "double": row["id"] * 2} for row in rows + many]


@pytest.mark.parametrize("codec", CODECS)
def test_output_is_compact_utf8_json_with_a_trailing_newline(tmp_path: Path, codec: str) -> None:
    result = run_job(
        tmp_path,
        """
        from ytjobs.io import write_row, write_rows
        write_row({"a": 1, "b": "é", "c": [1, {"d": None}]})
        write_rows(iter([{"e": True}, {"f": 1.5}]))
        """,
        codec=codec,
    )
    assert result.returncode == 0, result.stderr.decode()
    expected = '{"a":1,"b":"é","c":[1,{"d":null}]}\n{"e":true}\n{"f":1.5}\n'
    assert result.stdout == expected.encode()


@pytest.mark.parametrize("codec", CODECS)
def test_both_codecs_refuse_the_same_values(tmp_path: Path, codec: str) -> None:
    result = run_job(
        tmp_path,
        """
        import datetime, sys
        from ytjobs.io import write_row, write_rows
        write_row({"a": None, "b": [None, 1.5], "c": float("1e308")})  # nulls are fine
        bad_types = ({"when": datetime.datetime(2024, 1, 1)}, {"s": {1, 2}}, {"u": "\\ud800"})
        bad_floats = ({"ok": 1.0, "nan": float("nan")}, {"x": {"y": [float("-inf")]}})
        for bad in bad_types + bad_floats:
            for write in (write_row, lambda row: write_rows([row])):
                try:
                    write(bad)
                except (TypeError, ValueError) as exc:
                    print(type(exc).__name__, exc, file=sys.stderr)
        """,
        codec=codec,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert parse_jsonl(result.stdout) == [{"a": None, "b": [None, 1.5], "c": 1e308}]
    errors = result.stderr.decode().splitlines()
    assert len(errors) == 10, errors
    assert all(
        line.startswith("TypeError row for table 0 is not JSON-serializable") for line in errors[:6]
    ), errors
    refused = "NaN and infinity have no JSON form"
    nan, inf = errors[6:8], errors[8:]
    assert all(
        line.startswith(f"ValueError row for table 0, column 'nan': {refused}") for line in nan
    )
    assert all(
        line.startswith(f"ValueError row for table 0, column 'x': {refused}") for line in inf
    )


# --- io: more output tables ---------------------------------------------------------------


# Starts a job with parent fds moved to given numbers (argv: "src:dst"..., "--", command),
# the way YT's job proxy hands a job its output tables.
FD_LAUNCHER = """
import fcntl, os, sys
split = sys.argv.index("--")
pairs = [tuple(map(int, pair.split(":"))) for pair in sys.argv[1:split]]
parked = [(fcntl.fcntl(src, fcntl.F_DUPFD, 100), dst) for src, dst in pairs]  # no clashes
for src, _ in pairs:
    os.close(src)
for fd, dst in parked:
    os.dup2(fd, dst)
    os.close(fd)
os.execv(sys.argv[split + 1], sys.argv[split + 1 :])
"""


def launch_with_fds(script: Path, fds: dict[int, int]) -> subprocess.Popen[bytes]:
    pairs = [f"{src}:{dst}" for dst, src in fds.items()]
    return subprocess.Popen(
        [sys.executable, "-c", FD_LAUNCHER, *pairs, "--", sys.executable, str(script)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=tuple(fds.values()),
        env=job_env(),
    )


def test_table_k_goes_to_file_descriptor_3k_plus_1(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        from ytjobs.io import write_row, write_rows
        write_row({"t": 0})
        write_row({"t": 1, "n": 1}, table_index=1)
        write_rows(({"t": 2, "n": n} for n in range(3)), table_index=2)
        write_row({"t": 1, "n": 2}, table_index=1)
        """,
    )
    table2 = tmp_path / "table2.jsonl"
    read_end, write_end = os.pipe()
    with table2.open("wb") as file2:
        child = launch_with_fds(script, {4: write_end, 7: file2.fileno()})
    os.close(write_end)
    with child, os.fdopen(read_end, "rb") as pipe:
        table1 = pipe.read()
        stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr.decode()
    assert parse_jsonl(stdout) == [{"t": 0}]
    assert parse_jsonl(table1) == [{"t": 1, "n": 1}, {"t": 1, "n": 2}]
    assert parse_jsonl(table2.read_bytes()) == [{"t": 2, "n": n} for n in range(3)]


def test_writing_to_a_table_the_operation_lacks_fails_clearly(tmp_path: Path) -> None:
    result = run_job(tmp_path, "from ytjobs.io import write_row\nwrite_row({'a': 1}, 1)\n")
    assert result.returncode != 0
    stderr = result.stderr.decode()
    assert "output table 1 is file descriptor 4, which is not open" in stderr


def test_rows_lost_at_exit_make_the_job_fail(tmp_path: Path) -> None:
    script = write_script(tmp_path, "from ytjobs.io import write_row\nwrite_row({'a': 1}, 1)\n")
    with Path(os.devnull).open("rb") as read_only:  # fd 4 is open, but writing to it fails
        child = launch_with_fds(script, {4: read_only.fileno()})
    with child:
        _, stderr = child.communicate(timeout=60)
    assert child.returncode == 120, stderr.decode()
    assert "output rows were lost" in stderr.decode()


def test_flush_makes_rows_visible_before_exit(tmp_path: Path) -> None:
    result = run_job(
        tmp_path,
        """
        import os
        from ytjobs.io import flush, write_row
        write_row({"a": 1})
        flush()
        os._exit(0)  # skips atexit: only the explicit flush delivered the row
        """,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert parse_jsonl(result.stdout) == [{"a": 1}]


def test_write_rows_rejects_a_non_dict_naming_its_type(tmp_path: Path) -> None:
    result = run_job(tmp_path, "from ytjobs.io import write_rows\nwrite_rows([{'a': 1}, [1]])\n")
    assert result.returncode != 0
    assert "a row must be a dict of column -> value, got list" in result.stderr.decode()


@pytest.mark.parametrize("bad", [[("a", 1)], "a=1", None, 7])
def test_write_row_rejects_a_non_dict_naming_its_type(bad: object) -> None:
    with pytest.raises(TypeError, match=f"got {type(bad).__name__} \\(writing to table 0\\)"):
        write_row(bad)  # type: ignore[arg-type]


def test_table_index_must_be_a_non_negative_int() -> None:
    with pytest.raises(ValueError, match="table_index must be 0 or more"):
        write_row({"a": 1}, table_index=-1)
    with pytest.raises(TypeError, match="table_index must be an int"):
        write_row({"a": 1}, table_index="1")  # type: ignore[arg-type]


# --- io: reading --------------------------------------------------------------------------


def test_read_rows_skips_blank_lines_and_reads_text_streams_too() -> None:
    data = '{"a": 1}\n\n   \n{"a": 2}\r\n{"a": "ü"}'
    expected = [{"a": 1}, {"a": 2}, {"a": "ü"}]
    assert list(read_rows(io.BytesIO(data.encode()))) == expected
    assert list(read_rows(io.StringIO(data))) == expected


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"a": ', "not valid JSON"),
        (b"[1, 2]", "a JSON array, not an object"),
        (b"42", "a JSON number, not an object"),
        (b"null", "a JSON null, not an object"),
    ],
)
def test_a_bad_input_line_is_named_by_number_and_text(line: bytes, problem: str) -> None:
    stream = io.BytesIO(b'{"a": 1}\n\n' + line + b'\n{"a": 2}\n')
    rows = read_rows(stream)
    assert next(rows) == {"a": 1}
    with pytest.raises(ValueError, match=r"^input line 3: ") as caught:
        next(rows)
    message = str(caught.value)
    assert problem in message
    assert repr(line.decode()) in message


def test_the_preview_of_a_long_bad_line_is_cut() -> None:
    with pytest.raises(ValueError, match="input line 1") as caught:
        list(read_rows([b"[" + b"1," * 1000 + b"1]\n"]))
    assert len(str(caught.value)) < 250
    assert str(caught.value).endswith("...'")


@pytest.mark.parametrize("codec", CODECS)
def test_bad_input_fails_the_job_naming_the_line(tmp_path: Path, codec: str) -> None:
    result = run_job(tmp_path, MAPPER, stdin=b'{"id": 1}\n{"id": 2}\nnot json\n', codec=codec)
    assert result.returncode == 1
    assert "ValueError: input line 3: not valid JSON" in result.stderr.decode()


def test_read_rows_streams() -> None:
    def endless() -> Iterator[bytes]:
        for n in itertools.count():
            yield b'{"n": %d}\n' % n

    assert [row["n"] for row in itertools.islice(read_rows(endless()), 3)] == [0, 1, 2]


# --- io: groups ---------------------------------------------------------------------------


def test_groups_by_one_column_yields_scalar_keys() -> None:
    rows = [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}, {"k": 2, "v": "c"}, {"k": 1, "v": "d"}]
    got = [(key, [row["v"] for row in group]) for key, group in groups(rows, "k")]
    assert got == [(1, ["a", "b"]), (2, ["c"]), (1, ["d"])]  # consecutive runs only


def test_groups_by_several_columns_yields_tuples() -> None:
    rows = [
        {"a": 1, "b": "x", "v": 1},
        {"a": 1, "b": "x", "v": 2},
        {"a": 1, "b": "y", "v": 3},
        {"a": 2, "b": "y", "v": 4},
    ]
    got = [(key, [row["v"] for row in group]) for key, group in groups(rows, ["a", "b"])]
    assert got == [((1, "x"), [1, 2]), ((1, "y"), [3]), ((2, "y"), [4])]
    one = [key for key, _ in groups(rows, ["a"])]
    assert one == [(1,), (2,)]  # a list of one column still gives tuples


def test_groups_streams_without_materialising_a_group() -> None:
    def endless() -> Iterator[dict[str, int]]:
        for n in itertools.count():
            yield {"k": n // 3, "n": n}

    first_two = itertools.islice(groups(endless(), "k"), 2)
    assert [(key, [row["n"] for row in group]) for key, group in first_two] == [
        (0, [0, 1, 2]),
        (1, [3, 4, 5]),
    ]
    _, huge = next(iter(groups(({"k": 0} for _ in itertools.count()), "k")))
    assert len(list(itertools.islice(huge, 5))) == 5


def test_groups_errors() -> None:
    with pytest.raises(ValueError, match="at least one key column"):
        groups([], [])


def test_groups_reads_a_missing_key_column_as_null_like_yt() -> None:
    rows = [{"k": 1}, {"k": None}, {"x": 2}, {"k": 1.0}]
    grouped = [(key, len(list(group))) for key, group in groups(rows, "k")]
    assert grouped == [(1, 1), (None, 2), (1.0, 1)]


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
