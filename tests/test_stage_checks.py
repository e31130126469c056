"""Checks made before the first stage runs, and how stage code that exits is reported.

A stage class that cannot run, or a bad ``upload_paths`` / ``upload_modules`` entry, stops the
pipeline at start with exit 2 naming the file and key: no earlier stage has written anything.
``sys.exit()`` in stage code is that stage's failure (exit 1), reported with its name.
"""

from __future__ import annotations

import re

import pytest
from conftest import MakePipeline, assert_config_error, read_dev_table, run_cli, stage_code

from ytflow.core import Pipeline
from ytflow.core.runner import run_guarded

# Most cases run in-process through run_command (what `ytflow run` calls) for speed; one case
# of each kind also runs as a real `ytflow run` so exit codes and stderr are the user's.
pytestmark = pytest.mark.usefixtures("isolated_imports")


class Ran:
    """An in-process run: its exit code and everything it printed to stderr."""

    def __init__(self, root, capsys) -> None:
        capsys.readouterr()
        self.returncode = run_guarded(lambda: Pipeline(root).run())
        self.stderr = capsys.readouterr().err


FIRST = stage_code('self.deps.yt_client.write_table(table_path="//tmp/t/first", rows=[{"a": 1}])')
LAST = stage_code('self.deps.yt_client.write_table(table_path="//tmp/t/last", rows=[{"z": 1}])')


def _nothing_ran(root) -> None:
    assert not (root / ".dev" / "first.jsonl").exists()


# --- stage classes that cannot run ----------------------------------------------------------

NO_RUN = """
from ytflow import Stage


class Forgetful(Stage):
    def helper(self):
        return 1
"""

WRONG_SIGNATURE = """
from ytflow import Stage


class NoDebug(Stage):
    def run(self):
        return {}
"""

OTHER_ABSTRACT = """
import abc

from ytflow import Stage


class Half(Stage):
    def run(self, debug):
        return debug

    @abc.abstractmethod
    def step(self): ...
"""


@pytest.mark.parametrize(
    ("source", "fragments"),
    [
        (NO_RUN, ["stages/broken/stage.py", "Forgetful", "does not define run(self, debug)"]),
        (WRONG_SIGNATURE, ["stages/broken/stage.py", "NoDebug.run(self)", "run(debug)"]),
        (OTHER_ABSTRACT, ["stages/broken/stage.py", "Half", "step"]),
    ],
    ids=["no-run", "run-without-debug", "other-abstract-method"],
)
def test_stage_that_cannot_run_is_refused_before_the_first_stage(
    make_pipeline: MakePipeline, capsys, source, fragments
):
    root = make_pipeline({"first": FIRST, "broken": source})
    result = Ran(root, capsys)
    assert_config_error(result, *fragments)  # type: ignore[arg-type]
    _nothing_ran(root)


def test_stage_without_run_through_the_cli(make_pipeline: MakePipeline):
    root = make_pipeline({"first": FIRST, "broken": NO_RUN})
    assert_config_error(run_cli("run", root), "stages/broken/stage.py", "Forgetful", "run(")
    _nothing_ran(root)


def test_static_and_class_method_run_are_accepted(make_pipeline: MakePipeline, capsys):
    static = (
        "from ytflow import Stage\n\n\nclass S(Stage):\n"
        "    @staticmethod\n    def run(debug):\n        return debug\n"
    )
    root = make_pipeline({"first": FIRST, "s": static})
    result = Ran(root, capsys)
    assert result.returncode == 0, result.stderr


def test_stage_whose_constructor_raises_is_a_stage_failure(make_pipeline: MakePipeline, capsys):
    source = (
        "from ytflow import Stage\n\n\nclass C(Stage):\n"
        "    def __init__(self, **kwargs):\n        raise RuntimeError('no init today')\n\n"
        "    def run(self, debug):\n        return debug\n"
    )
    root = make_pipeline({"first": FIRST, "c": source})
    result = Ran(root, capsys)
    assert result.returncode == 1, result.stderr
    assert "stage c failed" in result.stderr
    assert "no init today" in result.stderr


# --- sys.exit in stage code ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("sys.exit(3)", "called sys.exit(3)"),
        ("sys.exit(0)", "called sys.exit(0)"),
        ("sys.exit('bye')", "called sys.exit('bye')"),
        ("raise SystemExit", "called sys.exit(None)"),
    ],
)
def test_sys_exit_in_a_stage_is_reported_as_that_stage_failing(
    make_pipeline: MakePipeline, capsys, body, shown
):
    root = make_pipeline(
        {"first": FIRST, "quitter": stage_code(body, imports="import sys"), "last": LAST}
    )
    # sys.exit(3) through the real CLI; the other forms in-process.
    result = run_cli("run", root) if body == "sys.exit(3)" else Ran(root, capsys)
    assert result.returncode == 1, (result.returncode, result.stderr)
    said = rf"stage quitter failed after [0-9.]+s: it {re.escape(shown)}\n"
    assert re.search(said, result.stderr), result.stderr
    assert result.stderr.count("stage quitter failed") == 1  # reported once, with the traceback
    assert read_dev_table(root, "first") == [{"a": 1}]
    assert not (root / ".dev" / "last.jsonl").exists()  # later stages never ran


def test_sys_exit_while_importing_a_stage_is_refused_before_the_first_stage(
    make_pipeline: MakePipeline, capsys
):
    source = "import sys\n\nsys.exit(4)\n" + stage_code()
    root = make_pipeline({"first": FIRST, "quitter": source})
    result = Ran(root, capsys)
    assert_config_error(result, "stages/quitter/stage.py", "called sys.exit(4)")  # type: ignore[arg-type]
    _nothing_ran(root)


def test_keyboard_interrupt_in_a_stage_is_still_an_interrupt(make_pipeline: MakePipeline, capsys):
    root = make_pipeline({"first": FIRST, "stop": stage_code("raise KeyboardInterrupt")})
    result = Ran(root, capsys)
    assert result.returncode == 130, result.stderr
    assert "stage 'stop' failed" not in result.stderr


# --- upload_paths and upload_modules, checked at start --------------------------------------


def _upload_config(entries: str) -> str:
    return f"pipeline:\n  mode: dev\n{entries}stages:\n  enabled_stages: [first, last]\n"


@pytest.mark.parametrize(
    ("entries", "fragments"),
    [
        (
            "  upload_paths: [{source: data, target: /abs/data}]\n",
            ["pipeline.upload_paths[0].target", "absolute"],
        ),
        (
            "  upload_paths: [{source: data, target: ../outside}]\n",
            ["pipeline.upload_paths[0].target", "'..'"],
        ),
        (
            "  upload_paths: [{source: missing_dir, target: lib}]\n",
            ["pipeline.upload_paths[0].source", "does not exist"],
        ),
        (
            "  upload_paths: [{source: data/lookup.json, target: pipeline.py}]\n",
            ["pipeline.upload_paths[0].target", "'pipeline.py'"],
        ),
        (
            "  upload_paths: [{source: data/lookup.json, target: ''}]\n",
            ["pipeline.upload_paths[0].target"],
        ),
        (
            "  upload_paths: [{source: data/lookup.json, target: .}]\n",
            ["pipeline.upload_paths[0].target", "bundle root"],
        ),
        (
            "  upload_modules: [no_such_module_xyz]\n",
            ["pipeline.upload_modules[0]", "no_such_module_xyz"],
        ),
    ],
    ids=["absolute", "dotdot", "missing-source", "clash", "empty", "root-for-a-file", "module"],
)
def test_bad_upload_entry_is_refused_at_start(
    make_pipeline: MakePipeline, capsys, entries, fragments
):
    root = make_pipeline(
        {"first": FIRST, "last": LAST},
        config=_upload_config(entries),
        files={"data/lookup.json": "{}"},
    )
    # The absolute target through the real CLI; the others in-process.
    result = run_cli("run", root) if "/abs/" in entries else Ran(root, capsys)
    assert_config_error(result, "configs/config.yaml", *fragments)
    _nothing_ran(root)


def test_good_upload_entry_still_runs(make_pipeline: MakePipeline, capsys):
    root = make_pipeline(
        {"first": FIRST, "last": LAST},
        config=_upload_config("  upload_paths: [{source: data, target: extra/data}]\n"),
        files={"data/lookup.json": "{}"},
    )
    result = Ran(root, capsys)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "last") == [{"z": 1}]
