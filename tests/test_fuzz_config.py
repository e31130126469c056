"""Abusive and random config files: a ConfigError naming the file, or a pipeline that runs.

Alias bombs, recursive aliases and deep nesting are refused quickly and in little memory
(through the real CLI, with exit 2). Then ``hypothesis`` throws random YAML text, random YAML
token soup and random keys and values merged into valid configs at the loaders (in-process,
for speed) and at whole in-process runs: the only outcomes allowed are a loaded config or a
``ConfigError`` that names the file, and exit 0 or 2 (never 1, never a traceback).
"""

from __future__ import annotations

import resource
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    PIPELINE_PY,
    MakePipeline,
    assert_config_error,
    read_dev_table,
    run_cli,
    stage_code,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytflow.core import Pipeline
from ytflow.core.config import load_pipeline_config
from ytflow.core.discovery import load_stage_config
from ytflow.core.runner import run_guarded
from ytflow.core.yaml_files import MAX_DEPTH, parse_yaml
from ytflow.errors import ConfigError

VALID_PIPELINE = {"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["only"]}}
WRITER = stage_code('self.deps.yt_client.write_table(table_path="//tmp/t/out", rows=[{"a": 1}])')


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: 10 levels of nine aliases each, 9**9 strings once expanded."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghijklmnop"[:levels]:
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text


# --- abusive YAML, through the real CLI ------------------------------------------------------


@pytest.mark.parametrize("where", ["configs/config.yaml", "stages/only/config.yaml"])
def test_alias_bomb_is_refused_quickly_and_in_little_memory(make_pipeline: MakePipeline, where):
    root = make_pipeline({"only": WRITER})
    target = root / where
    # The stage config's top level is free-form; the pipeline config gets the bomb in yt_config.
    bomb = billion_laughs()
    if where == "configs/config.yaml":
        bomb = (
            "pipeline:\n  mode: dev\n  yt_config:\n"
            + textwrap.indent(bomb, "    ")
            + "stages:\n  enabled_stages: [only]\n"
        )
    target.write_text(bomb, encoding="utf-8")
    started = time.monotonic()
    result = run_cli("run", root)
    elapsed = time.monotonic() - started
    assert_config_error(result, where, "alias", "100,000")
    assert elapsed < 10, elapsed  # interpreter start-up dominates; expanding would never end
    # Every child this test process has waited for stayed small (expansion needs gigabytes).
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < 400 * 1024, peak_kib
    assert not (root / ".dev" / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (billion_laughs(), "alias bomb"),
        ("a: &x [1, *x]\n", "recursive alias"),
        ("a: &x {b: *x}\n", "recursive alias"),
        ("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", "nested more than"),
        ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 120)), "nested more than"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "invalid YAML"),  # libyaml's own limit
        ("a: 2020-02-30\n", "invalid value"),
        ("a: !!int zz\n", "invalid value"),
        ("a: !!bool maybe\n", "invalid value"),
        ("a: !!float x\n", "invalid value"),
        ("a: !!timestamp\n", "invalid value"),
        ("a: !!python/object:os.system x\n", "invalid YAML"),
        ("? [a, b]\n: c\n", "invalid YAML"),
    ],
    ids=[
        "bomb",
        "recursive-list",
        "recursive-map",
        "deep-flow",
        "deep-block",
        "deeper-than-libyaml",
        "bad-date",
        "bad-int",
        "bad-bool",
        "bad-float",
        "empty-timestamp",
        "python-tag",
        "unhashable-key",
    ],
)
def test_abusive_yaml_is_a_config_error_naming_the_file(text, fragment):
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, display="stages/x/config.yaml")
    assert time.monotonic() - started < 1
    assert str(caught.value).startswith("stages/x/config.yaml: ")
    assert fragment in str(caught.value)


def test_aliases_within_the_limit_still_work():
    text = "base: &b {retries: 3, pool: p}\nfirst: *b\nsecond:\n  <<: *b\n  pool: q\n"
    assert parse_yaml(text, display="x.yaml") == {
        "base": {"retries": 3, "pool": "p"},
        "first": {"retries": 3, "pool": "p"},
        "second": {"retries": 3, "pool": "q"},
    }
    assert parse_yaml(billion_laughs(levels=4), display="x.yaml")["e"][0][0][0][0] == ["lol"] * 9


# --- hypothesis: the loaders ---------------------------------------------------------------

_FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_TOKENS = [
    *("\n", "\n  ", "\n    ", "\n- ", "- ", ": ", ":", " ", "  ", "#x"),
    *("[", "]", "{", "}", ",", "? ", "|", ">", "'", '"', "---", "...", "%YAML 1.1"),
    *("&a ", "&b ", "*a", "*b", "<<: ", "!!int ", "!!str ", "!!binary ", "!!set ", "!!omap "),
    *("!!timestamp ", "!!float ", "!!bool ", "!local ", "!!python/name:os.system "),
    *("pipeline", "stages", "mode", "dev", "prod", "enabled_stages", "only", "yt_config"),
    *("build_folder", "//tmp/x", "upload_paths", "upload_modules", "client", "operations"),
    *("map", "input_table", "resources", "job_count", "2020-02-30", "1e999", "0x1F", "~"),
    *("null", "yes", "no", ".inf", "-1", "99999999999999999999", "\t", "\x00", "\ufeff"),
]
yaml_soup = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["dev", "prod", "//tmp/x", "only", "map", ""]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
key_paths = st.lists(
    st.sampled_from(
        ["pipeline", "stages", "mode", "enabled_stages", "yt_config", "upload_paths", "x", "client"]
    )
    | st.text(max_size=6),
    min_size=1,
    max_size=3,
)


def _merge(base: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """``base`` with ``value`` set at ``path``, replacing whatever was in the way."""
    merged = yaml.safe_load(yaml.safe_dump(base))
    node = merged
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value
    return merged


def _load_both(text: str) -> None:
    """Each loader either returns or raises ConfigError naming the file; nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = root / "configs" / "config.yaml"
        config.parent.mkdir()
        config.write_text(text, encoding="utf-8")
        stage = root / "stages" / "only" / "config.yaml"
        stage.parent.mkdir(parents=True)
        stage.write_text(text, encoding="utf-8")
        for load, display in (
            (lambda: load_pipeline_config(config, display="configs/config.yaml"), "configs/"),
            (lambda: load_stage_config(root, "only"), "stages/only/config.yaml"),
        ):
            try:
                load()
            except ConfigError as error:
                assert display in str(error), str(error)


@_FUZZ
@given(text=st.text(max_size=200))
def test_fuzz_random_text_as_config(text):
    _load_both(text)


@_FUZZ
@given(text=yaml_soup)
def test_fuzz_yaml_token_soup_as_config(text):
    _load_both(text)


@_FUZZ
@given(path=key_paths, value=values)
def test_fuzz_random_keys_and_values_merged_into_a_valid_config(path, value):
    pipeline = _merge(VALID_PIPELINE, path, value)
    stage = _merge({"client": {"operations": {"map": {"input_table": "//t/a"}}}}, path, value)
    for data in (pipeline, stage):
        _load_both(yaml.safe_dump(data, allow_unicode=True))


# --- hypothesis: whole runs, in-process ----------------------------------------------------


@pytest.fixture
def runnable(tmp_path_factory):
    """A fresh one-stage pipeline folder per call (hypothesis calls it once per example)."""

    def make() -> Path:
        root = tmp_path_factory.mktemp("fuzzed")
        (root / "configs").mkdir()
        (root / "pipeline.py").write_text(PIPELINE_PY, encoding="utf-8")
        (root / "stages" / "only").mkdir(parents=True)
        (root / "stages" / "only" / "stage.py").write_text(WRITER, encoding="utf-8")
        return root

    return make


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=key_paths, value=values, into_stage=st.booleans())
@pytest.mark.usefixtures("isolated_imports")
def test_fuzz_runs_either_succeed_or_exit_2_naming_the_file(
    runnable, capsys, path, value, into_stage
):
    _fuzz_run(runnable, capsys, path, value, into_stage)


def _fuzz_run(runnable, capsys, path, value, into_stage) -> None:
    root = runnable()
    pipeline = VALID_PIPELINE
    stage: dict[str, Any] = {"note": 1}
    if into_stage:
        stage = _merge(stage, path, value)
    else:
        pipeline = _merge(pipeline, path, value)
    (root / "configs" / "config.yaml").write_text(yaml.safe_dump(pipeline), encoding="utf-8")
    (root / "stages" / "only" / "config.yaml").write_text(yaml.safe_dump(stage), encoding="utf-8")
    capsys.readouterr()
    code = run_guarded(lambda: Pipeline(root).run())
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("error: ")
        assert ("stages/only/config.yaml" if into_stage else "configs/config.yaml") in err
    else:
        assert read_dev_table(root, "out") == [{"a": 1}]


def test_random_junk_config_through_the_cli(make_pipeline: MakePipeline):
    root = make_pipeline({"only": WRITER}, config="pipeline: [&a *a\n\t: ]]\n")
    assert_config_error(run_cli("run", root), "configs/config.yaml", "invalid YAML")


# --- the same, at length (``python -m pytest -m slow``) ------------------------------------

_LONG = settings(
    max_examples=3000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@_LONG
@given(text=yaml_soup)
def test_fuzz_yaml_token_soup_at_length(text):
    _load_both(text)


@pytest.mark.slow
@_LONG
@given(text=st.text(max_size=400))
def test_fuzz_random_text_at_length(text):
    _load_both(text)


@pytest.mark.slow
@_LONG
@given(path=key_paths, value=values)
def test_fuzz_merged_keys_at_length(path, value):
    test_fuzz_random_keys_and_values_merged_into_a_valid_config.hypothesis.inner_test(path, value)


@pytest.mark.slow
@settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=key_paths, value=values, into_stage=st.booleans())
@pytest.mark.usefixtures("isolated_imports")
def test_fuzz_runs_at_length(runnable, capsys, path, value, into_stage):
    _fuzz_run(runnable, capsys, path, value, into_stage)
