"""Config mistakes stop the pipeline with exit 2 and one message that names the culprit.

Covers ``configs/config.yaml`` (keys, mode, prod requirements, YAML syntax, ``--config``),
stage configs (``stages/<name>/config.yaml``: attribute access and operation blocks) and stage
discovery (missing folders, zero or two Stage subclasses, import errors, helper imports).
"""

from __future__ import annotations

from pathlib import Path

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

WRITE_MARK = stage_code(
    """
    self.deps.yt_client.write_table(table_path="//tmp/t/mark", rows=[{"ran": self.name}])
    """
)
"""A stage that proves it ran by writing ``//tmp/t/mark`` (``.dev/mark.jsonl``)."""


def _pipeline_with_config(make_pipeline: MakePipeline, config: str) -> Path:
    return make_pipeline({"first": WRITE_MARK}, config=config)


# --- configs/config.yaml -------------------------------------------------------------------


def test_unknown_pipeline_key_names_file_key_and_suggests_mode(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline, "pipeline:\n  mod: dev\nstages:\n  enabled_stages: [first]\n"
    )
    result = run_cli("run", root)
    assert_config_error(result, "configs/config.yaml", "pipeline.mod", "did you mean 'mode'")
    assert not (root / ".dev" / "mark.jsonl").exists()


def test_unknown_top_level_key_names_it(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline, "pipline:\n  mode: dev\nstages:\n  enabled_stages: [first]\n"
    )
    assert_config_error(
        run_cli("run", root), "configs/config.yaml", "'pipline'", "did you mean 'pipeline'"
    )


def test_wrong_mode_names_key_and_allowed_values(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline, "pipeline:\n  mode: staging\nstages:\n  enabled_stages: [first]\n"
    )
    assert_config_error(
        run_cli("run", root), "configs/config.yaml", "pipeline.mode", "'dev'", "'prod'", "staging"
    )


def test_missing_mode_runs_in_dev(make_pipeline):
    root = _pipeline_with_config(make_pipeline, "stages:\n  enabled_stages: [first]\n")
    result = run_cli("run", root)
    assert result.returncode == 0, result.stderr
    assert "dev mode" in result.stderr
    assert read_dev_table(root, "mark") == [{"ran": "first"}]


def test_prod_without_build_folder_names_build_folder(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline, "pipeline:\n  mode: prod\nstages:\n  enabled_stages: [first]\n"
    )
    assert_config_error(run_cli("run", root), "configs/config.yaml", "build_folder")


def test_prod_without_secrets_env_names_the_file_and_keys(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline,
        "pipeline:\n  mode: prod\n  build_folder: //tmp/t/build\n"
        "stages:\n  enabled_stages: [first]\n",
    )
    result = run_cli("run", root)
    assert_config_error(result, "configs/secrets.env", "YT_PROXY", "YT_TOKEN")
    assert not (root / ".dev" / "mark.jsonl").exists()


def test_invalid_yaml_names_file_and_line(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline,
        "pipeline:\n  mode: dev\nstages:\n  enabled_stages: [first\n  other: 1\n",
    )
    result = run_cli("run", root)
    assert_config_error(result, "configs/config.yaml", "invalid YAML", "line 5")


def test_invalid_yaml_tab_indentation_names_line(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline, "pipeline:\n  mode: dev\nstages:\n\tenabled_stages: [first]\n"
    )
    assert_config_error(run_cli("run", root), "configs/config.yaml", "line 4")


def test_missing_stages_section_names_stages(make_pipeline):
    root = _pipeline_with_config(make_pipeline, "pipeline:\n  mode: dev\n")
    assert_config_error(run_cli("run", root), "configs/config.yaml", "'stages'", "missing")


def test_empty_config_file_is_named(make_pipeline):
    root = _pipeline_with_config(make_pipeline, "")
    assert_config_error(run_cli("run", root), "configs/config.yaml", "empty")


def test_empty_enabled_stages_names_the_key(make_pipeline):
    root = _pipeline_with_config(make_pipeline, "stages:\n  enabled_stages: []\n")
    assert_config_error(run_cli("run", root), "configs/config.yaml", "stages.enabled_stages")


def test_duplicate_stage_names_key_and_stage(make_pipeline):
    root = _pipeline_with_config(make_pipeline, "stages:\n  enabled_stages: [first, first]\n")
    result = run_cli("run", root)
    assert_config_error(
        result, "configs/config.yaml", "stages.enabled_stages", "'first'", "more than once"
    )
    assert not (root / ".dev" / "mark.jsonl").exists()


def test_non_yt_build_folder_names_key_and_suggests_fix(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline, "pipeline:\n  build_folder: tmp/x\nstages:\n  enabled_stages: [first]\n"
    )
    assert_config_error(
        run_cli("run", root),
        "configs/config.yaml",
        "pipeline.build_folder",
        "'tmp/x'",
        "'//tmp/x'",
    )


def test_errors_in_several_keys_are_all_listed(make_pipeline):
    root = _pipeline_with_config(
        make_pipeline, "pipeline:\n  mod: dev\n  build_folder: tmp/x\nstages: {}\n"
    )
    assert_config_error(
        run_cli("run", root),
        "configs/config.yaml",
        "pipeline.mod",
        "pipeline.build_folder",
        "stages.enabled_stages",
    )


# --- --config ------------------------------------------------------------------------------

TWO_STAGES = {
    "first": WRITE_MARK,
    "second": stage_code(
        """
        self.deps.yt_client.write_table(table_path="//tmp/t/mark", rows=[{"ran": self.name}])
        """
    ),
}


def test_config_option_relative_to_pipeline_folder(make_pipeline, tmp_path):
    root = make_pipeline(
        TWO_STAGES, files={"configs/other.yaml": "stages:\n  enabled_stages: [second]\n"}
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("run", root, "--config", "configs/other.yaml", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "mark") == [{"ran": "second"}]


def test_config_option_relative_to_cwd(make_pipeline, tmp_path):
    root = make_pipeline(TWO_STAGES)
    (tmp_path / "mine.yaml").write_text("stages:\n  enabled_stages: [second]\n")
    result = run_cli("run", root, "--config", "mine.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "mark") == [{"ran": "second"}]


def test_errors_in_other_config_name_that_file(make_pipeline):
    root = make_pipeline(
        TWO_STAGES, files={"configs/other.yaml": "pipeline:\n  mode: staging\nstages: {}\n"}
    )
    result = run_cli("run", root, "--config", "configs/other.yaml")
    assert_config_error(result, "configs/other.yaml", "pipeline.mode")
    assert "configs/config.yaml" not in result.stderr


def test_missing_config_option_file_is_a_clear_error(make_pipeline):
    root = make_pipeline(TWO_STAGES)
    result = run_cli("run", root, "--config", "nope.yaml", cwd=root.parent)
    assert_config_error(result, "nope.yaml", "not found")


def test_pipeline_py_config_option(make_pipeline, tmp_path):
    root = make_pipeline(
        TWO_STAGES, files={"configs/other.yaml": "stages:\n  enabled_stages: [second]\n"}
    )
    result = run_python(root / "pipeline.py", "--config", "configs/other.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "mark") == [{"ran": "second"}]


# --- stages/<name>/config.yaml -------------------------------------------------------------


def test_stage_config_nested_attribute_access(make_pipeline, isolated_imports):
    root = make_pipeline(
        {
            "reader": stage_code(
                """
                debug["depth"] = self.config.some.nested.depth
                debug["names"] = [entry.name for entry in self.config.some.entries]
                debug["item"] = self.config["some"]["nested"]["depth"]
                """
            )
        },
        stage_configs={
            "reader": "some:\n  nested:\n    depth: 42\n  entries: [{name: a}, {name: b}]\n"
        },
    )
    assert Pipeline(root).run() == {"depth": 42, "names": ["a", "b"], "item": 42}


@pytest.mark.parametrize("name", ["key", "source", "items", "keys", "values", "get", "to_dict"])
def test_stage_config_key_shadowed_by_node_attribute(make_pipeline, isolated_imports, name):
    root = make_pipeline(
        {"reader": stage_code(f"debug['got'] = self.config.some.nested.{name}")},
        stage_configs={"reader": f"some:\n  nested:\n    {name}: 42\n"},
    )
    assert Pipeline(root).run() == {"got": 42}


def test_stage_config_typo_names_file_key_and_suggestion(make_pipeline, isolated_imports):
    root = make_pipeline(
        {
            "reader": stage_code(
                """
                try:
                    self.config.some.nestd
                except AttributeError as error:
                    debug["error"] = str(error)
                """
            )
        },
        stage_configs={"reader": "some:\n  nested:\n    key: 42\n"},
    )
    message = Pipeline(root).run()["error"]
    assert "stages/reader/config.yaml" in message
    assert "some.nestd" in message
    assert "did you mean 'nested'" in message


def test_stage_config_typo_fails_the_stage_with_attribute_error(make_pipeline, isolated_imports):
    root = make_pipeline(
        {"reader": stage_code("self.config.output_tabel")},
        stage_configs={"reader": "output_table: //tmp/t/out\n"},
    )
    with pytest.raises(StageError, match="reader") as caught:
        Pipeline(root).run()
    cause = caught.value.__cause__
    assert isinstance(cause, AttributeError)
    assert "stages/reader/config.yaml" in str(cause)
    assert "did you mean 'output_table'" in str(cause)


def test_stage_without_config_file_has_empty_config(make_pipeline, isolated_imports):
    root = make_pipeline({"plain": stage_code("debug['keys'] = list(self.config)")})
    assert Pipeline(root).run() == {"keys": []}


def test_bad_operation_block_fails_before_any_stage_runs(make_pipeline):
    root = make_pipeline(
        {"first": WRITE_MARK, "mapper": stage_code()},
        stage_configs={
            "mapper": "client: {operations: {map: {input_table: //a/b, output_table: tmp/x, "
            "resources: {job_cont: 2}}}}\n"
        },
    )
    result = run_cli("run", root)
    assert_config_error(
        result,
        "stages/mapper/config.yaml",
        "client.operations.map.output_table",
        "client.operations.map.resources.job_cont",
        "did you mean 'job_count'",
    )
    assert not (root / ".dev" / "mark.jsonl").exists()


def test_operation_block_missing_required_key(make_pipeline):
    root = make_pipeline(
        {"sorter": stage_code()},
        stage_configs={"sorter": "client:\n  operations:\n    sort:\n      input_table: //a/b\n"},
    )
    assert_config_error(
        run_cli("run", root),
        "stages/sorter/config.yaml",
        "client.operations.sort.output_table",
        "client.operations.sort.sort_by",
    )


def test_invalid_yaml_in_stage_config_names_file_and_line(make_pipeline):
    root = make_pipeline({"first": WRITE_MARK}, stage_configs={"first": "a: [1,\nb: 2\n"})
    assert_config_error(run_cli("run", root), "stages/first/config.yaml", "line ")


# --- discovery -----------------------------------------------------------------------------


def test_enabled_stage_without_folder_names_file_and_suggests(make_pipeline):
    root = make_pipeline(
        {"create_input": WRITE_MARK},
        config="stages:\n  enabled_stages: [create_input, create_inptu]\n",
    )
    result = run_cli("run", root)
    assert_config_error(
        result,
        "stages/create_inptu/stage.py",
        "configs/config.yaml",
        "stages.enabled_stages[1]",
        "did you mean 'create_input'",
    )
    assert not (root / ".dev" / "mark.jsonl").exists()


def test_missing_stage_folder_message_uses_file_key_format(make_pipeline):
    root = make_pipeline({"a": WRITE_MARK}, config="stages:\n  enabled_stages: [b]\n")
    result = run_cli("run", root)
    assert_config_error(result, "configs/config.yaml, key 'stages.enabled_stages[0]'")


def test_stage_py_without_stage_subclass_names_file(make_pipeline):
    root = make_pipeline({"first": WRITE_MARK, "empty": "import os\n\nVALUE = 1\n"})
    result = run_cli("run", root)
    assert_config_error(result, "stages/empty/stage.py", "no Stage subclass")
    assert not (root / ".dev" / "mark.jsonl").exists()


def test_stage_py_with_two_stage_subclasses_names_both(make_pipeline):
    source = stage_code(cls="Alpha") + "\n\n" + stage_code(cls="Beta").split("\n\n\n", 1)[1]
    root = make_pipeline({"twice": source})
    result = run_cli("run", root)
    assert_config_error(result, "stages/twice/stage.py", "Alpha", "Beta", "exactly one")


def test_stage_import_error_names_file_and_real_error(make_pipeline):
    root = make_pipeline({"broken": "import not_a_module_xyz\n" + stage_code()})
    result = run_cli("run", root)
    assert_config_error(
        result, "stages/broken/stage.py", "No module named 'not_a_module_xyz'", "line 1"
    )


def test_stage_import_error_shows_only_user_frames(make_pipeline):
    root = make_pipeline({"broken": "import not_a_module_xyz\n" + stage_code()})
    result = run_cli("run", root)
    assert_config_error(result, "stages/broken/stage.py")
    assert "discovery.py" not in result.stderr
    assert "exec_module" not in result.stderr


def test_stage_syntax_error_names_file_and_line(make_pipeline):
    root = make_pipeline({"broken": stage_code() + "\ndef oops(:\n    pass\n"})
    result = run_cli("run", root)
    assert_config_error(result, "stages/broken/stage.py", "SyntaxError")


def test_imported_stage_subclass_does_not_count_as_second(make_pipeline):
    base = stage_code(cls="SharedBase").replace(
        "return debug",
        'debug.setdefault("via", []).append(type(self).__name__)\n        return debug',
    )
    root = make_pipeline(
        {
            "child": (
                "from stages.child.src.base import SharedBase\n\n\n"
                "class Child(SharedBase):\n"
                "    def run(self, debug):\n"
                "        debug = super().run(debug)\n"
                '        self.deps.yt_client.write_table(table_path="//tmp/t/via", '
                'rows=[{"via": debug["via"]}])\n'
                "        return debug\n"
            )
        },
        files={"stages/child/src/base.py": base},
    )
    result = run_cli("run", root)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "via") == [{"via": ["Child"]}]


def test_stage_imports_helper_from_its_src_folder(make_pipeline, tmp_path):
    root = make_pipeline(
        {
            "helped": stage_code(
                """
                self.deps.yt_client.write_table(table_path="//tmp/t/helped", rows=[{"v": f(3)}])
                """,
                imports="from stages.helped.src.helper import f",
            )
        },
        files={"stages/helped/src/helper.py": "def f(x):\n    return x * 7\n"},
    )
    result = run_cli("run", root, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "helped") == [{"v": 21}]


def test_broken_second_stage_means_first_stage_never_runs(make_pipeline):
    root = make_pipeline(
        {"first": WRITE_MARK, "second": "import not_a_module_xyz\n" + stage_code()}
    )
    result = run_cli("run", root)
    assert_config_error(result, "stages/second/stage.py")
    assert not (root / ".dev" / "mark.jsonl").exists()
    assert "stage first started" not in result.stderr
