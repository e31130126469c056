"""The ``ytflow`` command, run as a real subprocess: version, help, new, run, tables, show."""

from __future__ import annotations

import json
import re

import pytest
from conftest import MakePipeline, assert_config_error, read_dev_table, run_cli, stage_code

import ytflow
from ytflow.dev import DevClient

USERS = [
    {"id": 1, "name": "Alice", "country": "NL"},
    {"id": 2, "name": "Bob", "country": "DE"},
    {"id": 3, "name": "Carol", "country": "NL"},
    {"id": 4, "name": "Dave", "country": "FR"},
    {"id": 5, "name": "Erin", "country": "DE"},
]


@pytest.fixture
def users_pipeline(make_pipeline: MakePipeline):
    """A pipeline that has run once and left //tmp/x/users (5 rows) and //tmp/x/ids (2)."""
    root = make_pipeline(
        {
            "write": stage_code(
                f"""
                yt = self.deps.yt_client
                yt.write_table(table_path="//tmp/x/users", rows={USERS!r})
                yt.write_table(table_path="//tmp/x/ids", rows=[{{"id": 1}}, {{"id": 2}}])
                """
            )
        }
    )
    result = run_cli("run", root)
    assert result.returncode == 0, result.stderr
    return root


# --- version and help ----------------------------------------------------------------------


def test_version_matches_package():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ytflow {ytflow.__version__}"
    assert ytflow.__version__ == "0.1.0"


def test_app_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for command in ("run", "new", "tables", "show"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), result.stdout


@pytest.mark.parametrize(
    ("command", "mentions"),
    [
        ("run", ["DIR", "--config", "--stage", "repeat"]),
        ("new", ["DIR"]),
        ("tables", ["DIR"]),
        ("show", ["path", "--limit", "--dir", "--json"]),
    ],
)
def test_every_command_has_help(command, mentions):
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: ytflow {command}" in result.stdout
    for text in mentions:
        assert text in result.stdout


def test_no_arguments_shows_help():
    result = run_cli()
    output = result.stdout + result.stderr
    assert "Usage: ytflow" in output
    for command in ("run", "new", "tables", "show"):
        assert command in output
    assert "Traceback" not in output


# --- new -----------------------------------------------------------------------------------


def test_new_creates_a_pipeline_that_runs(tmp_path):
    target = tmp_path / "fresh"
    created = run_cli("new", target)
    assert created.returncode == 0, created.stderr
    assert "ytflow run" in created.stdout
    for relative in (
        "pipeline.py",
        "configs/config.yaml",
        "stages/create_input/stage.py",
        "stages/count_by_country/stage.py",
        "README.md",
    ):
        assert (target / relative).is_file(), relative
    assert not (target / "configs" / "secrets.env").exists()

    ran = run_cli("run", target)
    assert ran.returncode == 0, ran.stderr
    expected = [
        {"country": "DE", "users": 2},
        {"country": "FR", "users": 1},
        {"country": "NL", "users": 2},
    ]
    assert read_dev_table(target, "users_by_country") == expected
    client = DevClient(target / ".dev")
    assert list(client.read_table("//tmp/fresh/users_by_country")) == expected
    assert client.row_count("//tmp/fresh/users") == 5


def test_new_with_relative_path_from_cwd(tmp_path):
    created = run_cli("new", "rel_pipe", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    ran = run_cli("run", "rel_pipe", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "rel_pipe" / ".dev" / "users_by_country.jsonl").is_file()


def test_new_into_empty_existing_folder_is_allowed(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    result = run_cli("new", target)
    assert result.returncode == 0, result.stderr
    assert (target / "pipeline.py").is_file()


def test_new_into_non_empty_folder_refuses_and_overwrites_nothing(tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "pipeline.py").write_text("# mine\n")
    result = run_cli("new", target)
    assert_config_error(result, str(target), "not empty")
    assert (target / "pipeline.py").read_text() == "# mine\n"
    assert sorted(path.name for path in target.iterdir()) == ["pipeline.py"]


# --- run -----------------------------------------------------------------------------------


def test_run_on_a_folder_that_is_not_a_pipeline(tmp_path):
    folder = tmp_path / "not_a_pipeline"
    folder.mkdir()
    result = run_cli("run", folder)
    assert_config_error(result, "not_a_pipeline", "configs/config.yaml", "ytflow new")


def test_run_on_a_nonexistent_folder(tmp_path):
    result = run_cli("run", tmp_path / "nowhere")
    assert_config_error(result, "nowhere", "does not exist")


def test_run_defaults_to_current_folder(make_pipeline):
    root = make_pipeline(
        {"w": stage_code('self.deps.yt_client.write_table(table_path="//tmp/x/a", rows=[{}])')}
    )
    result = run_cli("run", cwd=root)
    assert result.returncode == 0, result.stderr
    assert read_dev_table(root, "a") == [{}]


# --- tables --------------------------------------------------------------------------------


def test_tables_lists_paths_files_and_row_counts(users_pipeline):
    result = run_cli("tables", users_pipeline)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    users = next(line for line in lines if "//tmp/x/users" in line)
    ids = next(line for line in lines if "//tmp/x/ids" in line)
    assert ".dev/users.jsonl" in users
    assert re.search(r"\b5\b", users), users
    assert ".dev/ids.jsonl" in ids
    assert re.search(r"\b2\b", ids), ids


def test_tables_defaults_to_current_folder(users_pipeline):
    result = run_cli("tables", cwd=users_pipeline)
    assert result.returncode == 0, result.stderr
    assert "//tmp/x/users" in result.stdout


def test_tables_without_dev_folder_says_so(tmp_path):
    result = run_cli("tables", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no dev tables" in result.stdout
    assert "run the pipeline" in result.stdout


# --- show ----------------------------------------------------------------------------------


def test_show_limit_prints_rows_and_total(users_pipeline):
    result = run_cli("show", "//tmp/x/users", "--dir", users_pipeline, "--limit", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"\b1\b.*Alice.*NL", out), out
    assert re.search(r"\b2\b.*Bob.*DE", out), out
    assert "Carol" not in out
    assert "//tmp/x/users" in out
    assert re.search(r"2 of 5\s+rows", out), out


def test_show_without_limit_prints_all_rows(users_pipeline):
    result = run_cli("show", "//tmp/x/ids", "--dir", users_pipeline)
    assert result.returncode == 0, result.stderr
    assert re.search(r"2\s+rows", result.stdout), result.stdout


def test_show_by_base_name(users_pipeline):
    result = run_cli("show", "users", "--dir", users_pipeline, "-n", "1")
    assert result.returncode == 0, result.stderr
    assert "Alice" in result.stdout
    assert "Bob" not in result.stdout
    assert "//tmp/x/users" in result.stdout


def test_show_json_prints_json_lines_exactly(users_pipeline):
    result = run_cli("show", "//tmp/x/users", "--dir", users_pipeline, "--limit", "3", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n")
    lines = result.stdout.splitlines()
    assert [json.loads(line) for line in lines] == USERS[:3]
    assert lines[0] == '{"id":1,"name":"Alice","country":"NL"}'


def test_show_missing_table_names_the_path(users_pipeline):
    result = run_cli("show", "//tmp/x/missing", "--dir", users_pipeline)
    assert result.returncode != 0
    assert "//tmp/x/missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error:")


def test_show_unknown_base_name_lists_tables(users_pipeline):
    result = run_cli("show", "userz", "--dir", users_pipeline)
    assert_config_error(result, "'userz'", "//tmp/x/users", "//tmp/x/ids")
