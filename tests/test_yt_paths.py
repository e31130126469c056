"""``validate_table_path``: the checks YT makes on a table path, shared by dev and prod."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from ytflow.errors import YtflowError, YtPathError
from ytflow.paths import table_name, validate_table_path


def _rejected(path: object) -> YtPathError:
    with pytest.raises(YtPathError) as caught:
        validate_table_path(path)
    return caught.value


# --- accepted paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "//tmp/p/data",
        "//tmp/my_pipeline/data",
        "//home/project/table-2024_01.v2",
        "//x",
        "//tmp/данные/таблица",
        "//tmp/with space/name",
    ],
)
def test_plain_cypress_path_is_accepted_and_returned_unchanged(path: str) -> None:
    assert validate_table_path(path) is path


def test_table_name_is_the_last_component() -> None:
    assert table_name(validate_table_path("//tmp/my_pipeline/data")) == "data"
    assert table_name(validate_table_path("//x")) == "x"


# --- error type ----------------------------------------------------------------------------


def test_path_error_is_a_ytflow_error_and_a_value_error() -> None:
    error = _rejected("tmp/p/data")
    assert isinstance(error, YtflowError)
    assert isinstance(error, ValueError)


# --- non-strings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, 42, b"//tmp/p/data", PurePosixPath("//tmp/p/data"), ["//tmp/p/data"]],
    ids=["none", "int", "bytes", "path-object", "list"],
)
def test_non_string_is_rejected_naming_its_type(value: object) -> None:
    error = _rejected(value)
    assert "must be a string" in error.message
    assert type(value).__name__ in error.message


# --- missing leading // --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        ("tmp/p/data", "//tmp/p/data"),
        ("/tmp/p/data", "//tmp/p/data"),
        ("data", "//data"),
    ],
)
def test_path_without_double_slash_is_rejected_with_a_suggestion(
    path: str, suggestion: str
) -> None:
    error = _rejected(path)
    assert repr(path) in error.message
    assert "must start with '//'" in error.message
    assert error.hint is not None
    assert f"'{suggestion}'" in error.hint
    assert f"'{suggestion}'" in str(error)


def test_empty_string_is_rejected_with_the_plain_path_hint() -> None:
    error = _rejected("")
    assert "''" in error.message
    assert error.hint is not None
    assert "//home/project/table" in error.hint


# --- empty components ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["//tmp//x", "///x", "//tmp/p//data"])
def test_empty_component_is_rejected(path: str) -> None:
    error = _rejected(path)
    assert repr(path) in error.message
    assert "empty component" in error.message


@pytest.mark.parametrize("path", ["//tmp/p/data/", "//tmp/", "//"])
def test_trailing_slash_and_bare_root_are_rejected(path: str) -> None:
    error = _rejected(path)
    assert repr(path) in error.message
    assert "ends with '/'" in error.message


# --- relative components -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("//tmp/./data", "."),
        ("//tmp/../data", ".."),
        ("//tmp/p/..", ".."),
        ("//./data", "."),
    ],
)
def test_dot_and_dot_dot_components_are_rejected(path: str, component: str) -> None:
    error = _rejected(path)
    assert repr(path) in error.message
    assert repr(component) in error.message
    assert "relative" in error.message


def test_dots_inside_a_name_are_fine() -> None:
    assert validate_table_path("//tmp/p/data..v2") == "//tmp/p/data..v2"
    assert validate_table_path("//tmp/.hidden/...") == "//tmp/.hidden/..."


# --- YPath specials and unstorable characters ----------------------------------------------


@pytest.mark.parametrize(
    "char",
    ["<", ">", "[", "]", "{", "}", "@", "&", "*", "\\", "\x00", "\t", "\n", "\x1f", "\x7f"],
    ids=lambda char: f"U+{ord(char):04X}",
)
def test_ypath_special_character_is_rejected(char: str) -> None:
    path = f"//tmp/p/da{char}ta"
    error = _rejected(path)
    assert repr(path) in error.message
    assert repr(char) in error.message
    assert error.hint is not None
    assert "plain Cypress path" in error.hint


@pytest.mark.parametrize(
    "path",
    [
        "<append=%true>//tmp/p/data",  # no leading //: refused before the special check
        "//tmp/p/data[#0:#10]",
        "//tmp/p/data{id,name}",
        "//tmp/p/data/@row_count",
        "//tmp/p/*",
    ],
)
def test_ypath_syntax_is_not_a_table_path(path: str) -> None:
    error = _rejected(path)
    assert repr(path) in error.message


def test_special_character_in_an_inner_component_is_rejected() -> None:
    path = "//tmp/a@b/data"
    error = _rejected(path)
    assert repr(path) in error.message
    assert "'@'" in error.message


def test_several_special_characters_are_all_named() -> None:
    error = _rejected("//tmp/p/<a>[b]")
    for char in "<>[]":
        assert repr(char) in error.message


def test_what_argument_names_the_role_of_the_path() -> None:
    with pytest.raises(YtPathError, match=r"^input table 'tmp/x' is not a YT path"):
        validate_table_path("tmp/x", what="input table")
