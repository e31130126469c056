"""Running pipelines: stage order, the debug dict, failures, --stage, pipeline.py, logging.

Pipelines are real folders in ``tmp_path``; most runs are real ``ytflow run`` or
``python pipeline.py`` subprocesses so exit codes and stderr are what a user sees.
"""

from __future__ import annotations

import re
import textwrap

import pytest
from conftest import (
    MakePipeline,
    assert_config_error,
    read_dev_table,
    run_cli,
    run_python,
    stage_code,
)

from ytflow import Pipeline, StageError


def _recorder(table: str) -> str:
    """A stage that appends ``{"stage": name, "debug": debug}`` to ``//tmp/t/<table>``."""
    return stage_code(
        f"""
        self.deps.yt_client.write_table(
            table_path="//tmp/t/{table}",
            rows=[{{"stage": self.name, "debug": dict(debug)}}],
            append=self.deps.yt_client.exists("//tmp/t/{table}"),
        )
        debug[self.name] = True
        """
    )


@pytest.fixture
def abc_pipeline(make_pipeline: MakePipeline):
    """Three recording stages enabled in the order c, a, b (not alphabetical)."""
    return make_pipeline(
        {"a": _recorder("log"), "b": _recorder("log"), "c": _recorder("log")},
        config="stages:\n  enabled_stages: [c, a, b]\n",
    )


# --- order and the debug dict --------------------------------------------------------------


def test_stages_run_in_enabled_stages_order(abc_pipeline):
    result = run_cli("run", abc_pipeline)
    assert result.returncode == 0, result.stderr
    rows = read_dev_table(abc_pipeline, "log")
    assert [row["stage"] for row in rows] == ["c", "a", "b"]
    started = re.findall(r"stage (\w+) started", result.stderr)
    assert started == ["c", "a", "b"]


def test_debug_dict_flows_from_stage_to_stage(make_pipeline):
    root = make_pipeline(
        {
            "setter": stage_code('debug["a"] = 1'),
            "getter": stage_code(
                """
                self.deps.yt_client.write_table(
                    table_path="//tmp/t/seen", rows=[{"a": debug.get("a")}]
                )
                """
            ),
        }
    )
    result = run_cli("run", root)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "seen") == [{"a": 1}]


def test_each_stage_sees_what_earlier_stages_returned(abc_pipeline):
    assert run_cli("run", abc_pipeline).returncode == 0
    rows = read_dev_table(abc_pipeline, "log")
    assert [row["debug"] for row in rows] == [{}, {"c": True}, {"c": True, "a": True}]


def test_pipeline_run_returns_final_debug_dict(make_pipeline, isolated_imports):
    root = make_pipeline(
        {
            "one": stage_code('debug["a"] = 1'),
            "two": stage_code('debug["b"] = debug["a"] + 1'),
        }
    )
    assert Pipeline(root).run() == {"a": 1, "b": 2}


def test_pipeline_run_accepts_initial_debug_and_stage_subset(make_pipeline, isolated_imports):
    root = make_pipeline(
        {
            "one": stage_code('debug["a"] = 1'),
            "two": stage_code('debug["b"] = debug.get("a", 0) + 10'),
        }
    )
    assert Pipeline(root).run(["two"], debug={"a": 5}) == {"a": 5, "b": 15}


def test_stage_may_return_a_new_dict(make_pipeline, isolated_imports):
    root = make_pipeline(
        {
            "one": stage_code('debug["a"] = 1'),
            "two": "from ytflow import Stage\n\n\nclass Two(Stage):\n"
            "    def run(self, debug):\n        return {'fresh': debug['a']}\n",
            "three": stage_code('debug["seen"] = sorted(debug)'),
        }
    )
    assert Pipeline(root).run() == {"fresh": 1, "seen": ["fresh"]}


# --- stage failures ------------------------------------------------------------------------


def test_stage_returning_none_exits_1_naming_stage(make_pipeline):
    root = make_pipeline(
        {
            "forgetful": "from ytflow import Stage\n\n\nclass Forgetful(Stage):\n"
            "    def run(self, debug):\n        debug['x'] = 1\n",
            "after": _recorder("after"),
        }
    )
    result = run_cli("run", root)
    assert result.returncode == 1, result.stderr
    assert "'forgetful'" in result.stderr
    assert "must return a dict" in result.stderr
    assert "return debug" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / ".dev" / "after.jsonl").exists()


def test_stage_returning_none_in_process_raises_stage_error(make_pipeline, isolated_imports):
    root = make_pipeline(
        {
            "forgetful": "from ytflow import Stage\n\n\nclass Forgetful(Stage):\n"
            "    def run(self, debug):\n        pass\n"
        }
    )
    with pytest.raises(StageError, match="must return a dict") as caught:
        Pipeline(root).run()
    assert caught.value.stage == "forgetful"
    assert "return debug" in str(caught.value)


BOOM = textwrap.dedent(
    """\
    from ytflow import Stage


    def helper():
        raise ValueError("boom")


    class Exploding(Stage):
        def run(self, debug):
            helper()
            return debug
    """
)


def test_stage_exception_exits_1_and_is_reported_once(make_pipeline):
    root = make_pipeline({"first": _recorder("log"), "exploding": BOOM, "last": _recorder("log")})
    result = run_cli("run", root)
    assert result.returncode == 1, result.stderr
    stderr = result.stderr
    assert "stage exploding failed" in stderr
    assert stderr.count("ValueError: boom") == 1, stderr
    assert stderr.count("Traceback (most recent call last)") == 1, stderr
    # The user's frames are shown (file, line, function), ytflow's internals are not.
    assert "stages/exploding/stage.py" in stderr
    assert "in helper" in stderr
    assert "ytflow/core/pipeline.py" not in stderr
    # The stages before ran, the stages after did not.
    assert [row["stage"] for row in read_dev_table(root, "log")] == ["first"]


def test_stage_exception_is_written_to_operation_log(make_pipeline):
    root = make_pipeline({"exploding": BOOM})
    result = run_cli("run", root)
    assert result.returncode == 1
    log = (root / ".dev" / "operation.log").read_text()
    assert "stage exploding failed" in log
    assert log.count("ValueError: boom") == 1, log


def test_stage_exception_in_process_keeps_the_cause(make_pipeline, isolated_imports):
    root = make_pipeline({"exploding": BOOM})
    with pytest.raises(StageError, match="exploding") as caught:
        Pipeline(root).run()
    assert isinstance(caught.value.__cause__, ValueError)
    assert str(caught.value.__cause__) == "boom"
    assert "ValueError: boom" in str(caught.value)


# --- --stage -------------------------------------------------------------------------------


def test_stage_option_runs_only_that_stage_with_empty_debug(abc_pipeline):
    result = run_cli("run", abc_pipeline, "--stage", "b")
    assert result.returncode == 0, result.stderr
    assert read_dev_table(abc_pipeline, "log") == [{"stage": "b", "debug": {}}]


def test_stage_option_repeated_runs_in_given_order(abc_pipeline):
    result = run_cli("run", abc_pipeline, "--stage", "b", "-s", "c")
    assert result.returncode == 0, result.stderr
    rows = read_dev_table(abc_pipeline, "log")
    assert rows == [{"stage": "b", "debug": {}}, {"stage": "c", "debug": {"b": True}}]


def test_stage_option_may_name_a_stage_folder_not_enabled(make_pipeline):
    root = make_pipeline(
        {"a": _recorder("log"), "extra": _recorder("log")},
        config="stages:\n  enabled_stages: [a]\n",
    )
    result = run_cli("run", root, "--stage", "extra")
    assert result.returncode == 0, result.stderr
    assert [row["stage"] for row in read_dev_table(root, "log")] == ["extra"]


def test_unknown_stage_option_exits_2_with_suggestion(make_pipeline):
    root = make_pipeline({"create_input": _recorder("log"), "count": _recorder("log")})
    result = run_cli("run", root, "--stage", "create_inptu")
    assert_config_error(result, "--stage", "'create_inptu'", "did you mean 'create_input'")
    assert not (root / ".dev" / "log.jsonl").exists()


# --- python pipeline.py --------------------------------------------------------------------


def test_pipeline_py_from_another_cwd_uses_its_own_folder(abc_pipeline, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_python(abc_pipeline / "pipeline.py", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert [row["stage"] for row in read_dev_table(abc_pipeline, "log")] == ["c", "a", "b"]
    assert not (elsewhere / ".dev").exists()


def test_pipeline_py_stage_option(abc_pipeline, tmp_path):
    result = run_python(abc_pipeline / "pipeline.py", "--stage", "a", "--stage", "c", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [row["stage"] for row in read_dev_table(abc_pipeline, "log")] == ["a", "c"]


def test_pipeline_py_unknown_stage_exits_2(abc_pipeline):
    result = run_python(abc_pipeline / "pipeline.py", "--stage", "zzz")
    assert_config_error(result, "'zzz'")


def test_pipeline_py_stage_failure_exits_1(make_pipeline):
    root = make_pipeline({"exploding": BOOM})
    result = run_python(root / "pipeline.py")
    assert result.returncode == 1
    assert result.stderr.count("ValueError: boom") == 1


def test_pipeline_py_help(abc_pipeline):
    result = run_python(abc_pipeline / "pipeline.py", "--help")
    assert result.returncode == 0, result.stderr
    assert "--stage" in result.stdout
    assert "--config" in result.stdout
    assert not (abc_pipeline / ".dev").exists()


# --- logging -------------------------------------------------------------------------------

LOGGING_STAGE = stage_code('self.logger.info("hello-marker %d", 7)')


def test_stage_logger_goes_to_stderr_and_operation_log(make_pipeline):
    root = make_pipeline({"talker": LOGGING_STAGE})
    result = run_cli("run", root)
    assert result.returncode == 0, result.stderr
    assert re.search(r"\[talker\] hello-marker 7", result.stderr), result.stderr
    log = (root / ".dev" / "operation.log").read_text()
    assert re.search(r"INFO +\[talker\] hello-marker 7", log), log
    assert result.stdout == ""


def test_stage_start_and_finish_lines_have_timings(make_pipeline):
    root = make_pipeline({"talker": LOGGING_STAGE, "quiet": stage_code()})
    result = run_cli("run", root)
    assert result.returncode == 0, result.stderr
    log = (root / ".dev" / "operation.log").read_text()
    for text in (result.stderr, log):
        assert "stage talker started" in text
        assert re.search(r"stage talker finished in \d+\.\d+s", text), text
        assert re.search(r"stage quiet finished in \d+\.\d+s", text), text
        assert re.search(r"pipeline finished in \d+\.\d+s", text), text


def test_running_twice_in_one_process_does_not_duplicate_log_lines(make_pipeline):
    root = make_pipeline({"talker": LOGGING_STAGE})
    code = (
        "import sys\n"
        "from ytflow import Pipeline\n"
        "Pipeline(sys.argv[1]).run()\n"
        "Pipeline(sys.argv[1]).run()\n"
    )
    result = run_python("-c", code, root)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("hello-marker") == 2, result.stderr
    log = (root / ".dev" / "operation.log").read_text()
    assert log.count("hello-marker") == 2, log


def test_operation_log_accumulates_across_runs(make_pipeline):
    root = make_pipeline({"talker": LOGGING_STAGE})
    assert run_cli("run", root).returncode == 0
    assert run_cli("run", root).returncode == 0
    log = (root / ".dev" / "operation.log").read_text()
    assert log.count("hello-marker") == 2


# --- dev mode stays away from yt.wrapper and duckdb ----------------------------------------


@pytest.fixture
def fake_cluster_modules(tmp_path):
    """Importable stand-ins for ``yt`` and ``duckdb`` that leave a marker file when imported.

    Neither package needs to be installed: if dev code imports them (even inside a
    try/except ImportError), the marker shows it.
    """
    folder = tmp_path / "fake_modules"
    markers = tmp_path / "markers"
    markers.mkdir()
    for package in ("yt", "duckdb"):
        (folder / package).mkdir(parents=True)
        (folder / package / "__init__.py").write_text(
            f"import pathlib\npathlib.Path({str(markers / package)!r}).touch()\n"
        )
    (folder / "yt" / "wrapper.py").write_text(
        f"import pathlib\npathlib.Path({str(markers / 'yt.wrapper')!r}).touch()\n"
    )
    return {"PYTHONPATH": str(folder)}, markers


def test_dev_run_never_imports_yt_wrapper(make_pipeline, fake_cluster_modules):
    env, markers = fake_cluster_modules
    root = make_pipeline(
        {
            "probe": stage_code(
                """
                loaded = "yt.wrapper" in sys.modules or "yt" in sys.modules
                self.deps.yt_client.write_table(
                    table_path="//tmp/t/probe", rows=[{"yt_loaded": loaded}]
                )
                """,
                imports="import sys",
            )
        }
    )
    result = run_cli("run", root, env=env)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "probe") == [{"yt_loaded": False}]
    assert sorted(path.name for path in markers.iterdir()) == []


def test_pipeline_run_in_process_imports_neither_yt_nor_duckdb(make_pipeline, fake_cluster_modules):
    env, markers = fake_cluster_modules
    root = make_pipeline(
        {
            "writer": stage_code(
                """
                yt = self.deps.yt_client
                yt.write_table(table_path="//tmp/t/data", rows=[{"id": 1}, {"id": 2}])
                debug["rows"] = [row["id"] for row in yt.read_table("//tmp/t/data")]
                """
            )
        }
    )
    code = (
        "import sys\n"
        "from ytflow import Pipeline\n"
        "result = Pipeline(sys.argv[1]).run()\n"
        "assert result == {'rows': [1, 2]}, result\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('yt', 'duckdb'))\n"
        "print('loaded:', loaded)\n"
    )
    result = run_python("-c", code, root, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded: []"
    assert sorted(path.name for path in markers.iterdir()) == []


def test_two_pipelines_in_one_process_use_their_own_stage_helpers(make_pipeline):
    helper_stage = stage_code(
        'debug["who"] = who()', imports="from stages.shared.src.helper import who"
    )
    first = make_pipeline(
        {"shared": helper_stage},
        files={"stages/shared/src/helper.py": "def who():\n    return 'first'\n"},
        name="first",
    )
    second = make_pipeline(
        {"shared": helper_stage},
        files={"stages/shared/src/helper.py": "def who():\n    return 'second'\n"},
        name="second",
    )
    code = (
        "import sys\n"
        "from ytflow import Pipeline\n"
        "print(Pipeline(sys.argv[1]).run()['who'], Pipeline(sys.argv[2]).run()['who'])\n"
    )
    result = run_python("-c", code, first, second)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["first", "second"]
