"""``ytflow new`` with hostile or non-ASCII names, documented exit codes, unknown-key wording."""

from __future__ import annotations

import shlex
import subprocess

import pytest
from conftest import MakePipeline, assert_config_error, read_dev_table, run_cli, stage_code
from typer.testing import CliRunner

from ytflow.cli.app import app
from ytflow.cli.scaffold import pipeline_name
from ytflow.core.config_node import ConfigNode
from ytflow.ops.validation import unknown_key_text

# Help texts and quick refusals run in-process (CliRunner); runs that matter use the real CLI.
cli = CliRunner()

# --- ytflow new ----------------------------------------------------------------------------


def test_new_quotes_the_run_command_it_prints(tmp_path):
    folder = tmp_path / "x;touch pwned"
    created = run_cli("new", folder, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    printed = created.stdout.strip().splitlines()[-1].strip()
    assert printed == f"ytflow run {shlex.quote(str(folder))}"
    # Pasted into a shell, the printed command runs the pipeline and nothing else.
    ran = subprocess.run(
        ["sh", "-c", printed.replace("ytflow", shlex.quote(_ytflow()), 1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert not (tmp_path / "pwned").exists()
    assert read_dev_table(folder, "users_by_country")
    # The README's commands are quoted too.
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert f"ytflow run {shlex.quote(folder.name)}" in readme
    assert f"--dir {shlex.quote(folder.name)}" in readme


def _ytflow() -> str:
    from conftest import _ytflow_command  # noqa: PLC0415

    return _ytflow_command()[0]


def test_new_says_how_it_changed_a_name_that_is_not_a_yt_name(tmp_path):
    folder = tmp_path / "über"
    created = run_cli("new", folder)
    assert created.returncode == 0, created.stderr
    assert "'über'" in created.stdout and "//tmp/uber/" in created.stdout
    config = (folder / "configs" / "config.yaml").read_text(encoding="utf-8")
    assert "//tmp/uber/build" in config
    assert "//tmp/ber" not in config


def test_new_with_a_plain_name_prints_no_note(tmp_path):
    created = cli.invoke(app, ["new", str(tmp_path / "plain_name-1")])
    assert created.exit_code == 0, created.output
    assert "note:" not in created.output


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("über", "uber"),
        ("Ærø data", "r__data"),
        ("x;rm -rf y", "x_rm_-rf_y"),
        ("日本", "my_pipeline"),
        ("café-2", "cafe-2"),
        ("ok_name", "ok_name"),
    ],
)
def test_pipeline_name(tmp_path, folder, name):
    assert pipeline_name(tmp_path / folder) == name


def test_new_that_cannot_write_is_a_usage_error(tmp_path, capsys):
    result = cli.invoke(app, ["new", str(tmp_path / ("n" * 300))])
    assert result.exit_code == 2, result.output
    assert "cannot create the pipeline" in result.output
    assert "File name too long" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- exit codes of tables, show, new -------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "codes"),
    [("tables", ["0", "1", "2"]), ("show", ["0", "1", "2"]), ("new", ["0", "2"])],
)
def test_help_documents_exit_codes(command, codes):
    result = cli.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Exit 0" in text
    for code in codes:
        assert f"{code} " in text


@pytest.fixture
def written(make_pipeline: MakePipeline):
    root = make_pipeline(
        {
            "w": stage_code(
                'self.deps.yt_client.write_table(table_path="//tmp/t/d", rows=[{"a": 1}])'
            )
        }
    )
    assert run_cli("run", root).returncode == 0
    return root


def test_show_exit_codes(written):
    assert run_cli("show", "//tmp/t/d", "--dir", written).returncode == 0
    for args, fragment in (
        (["//tmp/t/missing", "--dir", str(written)], "//tmp/t/missing"),
        (["missing", "--dir", str(written)], "'missing'"),
        (["d", "--dir", str(written / "nope")], "does not exist"),
    ):
        refused = cli.invoke(app, ["show", *args])
        assert refused.exit_code == 2, refused.output
        assert fragment in refused.output and "Traceback" not in refused.output
    with (written / ".dev" / "d.jsonl").open("a") as stream:
        stream.write("{broken\n")
    corrupt = run_cli("show", "//tmp/t/d", "--dir", written)
    assert corrupt.returncode == 1, corrupt.stderr
    assert "d.jsonl" in corrupt.stderr and "Traceback" not in corrupt.stderr


def test_tables_exit_codes(written):
    listed = run_cli("tables", written)
    assert listed.returncode == 0 and "//tmp/t/d" in listed.stdout
    refused = cli.invoke(app, ["tables", str(written / "nope")])
    assert refused.exit_code == 2 and "does not exist" in refused.output


# --- unknown-key wording -------------------------------------------------------------------


def test_unknown_key_wording_with_and_without_a_suggestion():
    assert (
        unknown_key_text("mod", ["mode", "build_folder"])
        == "unknown key; did you mean 'mode'? Allowed keys here: mode, build_folder."
    )
    assert (
        unknown_key_text("zzz", ["mode", "build_folder"])
        == "unknown key; allowed keys here: mode, build_folder."
    )
    assert unknown_key_text("zzz", []) == "unknown key"


def test_unknown_key_in_config_without_a_suggestion_reads_well(make_pipeline: MakePipeline):
    root = make_pipeline(
        {"w": stage_code()}, config="pipeline:\n  qqqqq: 1\nstages:\n  enabled_stages: [w]\n"
    )
    result = run_cli("run", root)
    assert_config_error(
        result, "configs/config.yaml", "key 'pipeline.qqqqq': unknown key; allowed keys here: mode"
    )
    assert "key Allowed" not in result.stderr


def test_missing_config_node_key_wording():
    node = ConfigNode({"output_table": "//t/x"}, source="stages/s/config.yaml")
    with pytest.raises(AttributeError) as near:
        node.output_tabel  # noqa: B018
    assert str(near.value) == (
        "stages/s/config.yaml: no key 'output_tabel'; did you mean 'output_table'? "
        "Keys here: output_table."
    )
    with pytest.raises(AttributeError) as far:
        node.zzz  # noqa: B018
    assert str(far.value) == "stages/s/config.yaml: no key 'zzz'; keys here: output_table."
    with pytest.raises(KeyError) as empty:
        ConfigNode({}, source="c.yaml")["x"]
    assert empty.value.args[0] == "c.yaml: no key 'x'; this mapping is empty"
