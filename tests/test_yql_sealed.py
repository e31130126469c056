"""Dev YQL is sealed from local files: only table paths are read or written.

Two layers are tried: the translator refuses every non-table data source with its line, and
DuckDB itself may open only the script's table files (so a translator bug still reads
nothing). A file with a known secret sits next to the pipeline; no form may return it.
``docs/yql.md`` lists the refused forms; a test below parses that table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import ytflow.dev.yql_engine as engine
from ytflow.dev.client import DevClient
from ytflow.errors import TableNotFound, YqlError, YtflowError, YtPathError

DOC = Path(__file__).resolve().parents[1] / "docs" / "yql.md"
SECRET = "SECRET_VALUE_42"
FIRST = "INSERT INTO `//p/first` WITH TRUNCATE SELECT 1 AS one;\n"


@dataclass(frozen=True)
class Form:
    """A way to name a local file where a table belongs; refused on line 2 with ``message``."""

    id: str
    construct: str
    query: str  # line 2 of the script; {secret} is the file's absolute path
    message: str


FORMS = [
    Form(
        "string-path",
        "a string as a table",
        "SELECT * FROM '{secret}';",
        "a string ('{secret}') is not a table",
    ),
    Form(
        "double-quoted",
        "a double-quoted name",
        'SELECT * FROM "secret.csv";',
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "join-string",
        "JOIN 'file'",
        "SELECT * FROM `//p/t` AS a JOIN 'secret.csv' AS b ON a.x == b.a;",
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "named-subquery",
        "$s = SELECT * FROM 'file'",
        "$s = SELECT * FROM 'secret.csv';\nSELECT * FROM $s;",
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "insert-select",
        "INSERT INTO ... SELECT * FROM 'file'",
        "INSERT INTO `//p/out` SELECT * FROM 'secret.csv';",
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "comma-string",
        "FROM t, 'file'",
        "SELECT * FROM `//p/t` AS a, 'secret.csv' AS b;",
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "in-subquery",
        "IN (SELECT ... FROM 'file')",
        "SELECT * FROM `//p/t` WHERE x IN (SELECT a FROM 'secret.csv');",
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "union",
        "UNION ALL SELECT ... FROM 'file'",
        "SELECT 1 AS a UNION ALL SELECT * FROM 'secret.csv';",
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "from-first",
        "(FROM 'file')",
        "SELECT * FROM (FROM 'secret.csv');",
        "a string ('secret.csv') is not a table",
    ),
    Form(
        "bracketed-join",
        "FROM (t JOIN 'file')",
        "SELECT * FROM (`//p/t` AS a POSITIONAL JOIN 'secret.csv' AS b);",
        "YQL syntax not understood",
    ),
    Form(
        "named-expression",
        "$f = 'file'; FROM $f",
        "$f = 'secret.csv'; SELECT * FROM $f;",
        "$f is not a subquery and cannot be read as a table",
    ),
    Form(
        "table-function",
        "read_csv, read_json, read_text, glob, ...",
        "SELECT * FROM read_csv('secret.csv');",
        "READ_CSV('secret.csv') is not a table",
    ),
    Form(
        "bare-name",
        "an unquoted name",
        "SELECT * FROM secret;",
        "secret is not a table",
    ),
    Form(
        "copy",
        "COPY, ATTACH, INSTALL, LOAD, SET, CALL, ...",
        "COPY (SELECT 1) TO 'out.csv';",
        "COPY is not a YQL statement dev runs; dev refuses it",
    ),
]
STATEMENTS = ["ATTACH 'x.db'", "INSTALL httpfs", "LOAD httpfs", "SET threads = 1", "CALL f()"]


@pytest.fixture
def yt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DevClient:
    """A pipeline folder (the working directory) with a secret file beside ``.dev/``."""
    monkeypatch.chdir(tmp_path)
    for name in ("secret.csv", "secret"):
        (tmp_path / name).write_text(f"a,b\n{SECRET},1\n", encoding="utf-8")
    client = DevClient(tmp_path / ".dev")
    client.write_table("//p/t", [{"x": 1}, {"x": 2}])
    return client


def _refused(yt: DevClient, query: str) -> YtflowError:
    with pytest.raises(YtflowError) as caught:
        yt.run_yql(query)
    assert SECRET not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("form", FORMS, ids=[form.id for form in FORMS])
def test_a_local_file_is_refused_before_anything_runs(
    form: Form, yt: DevClient, tmp_path: Path
) -> None:
    secret = str(tmp_path / "secret.csv")
    error = _refused(yt, FIRST + form.query.format(secret=secret))
    assert isinstance(error, YqlError)
    assert str(error).startswith("YQL line 2: " + form.message.format(secret=secret))
    assert not yt.exists("//p/first")  # refused at translation: line 1 never ran
    assert not yt.exists("//p/out")


@pytest.mark.parametrize("statement", STATEMENTS)
def test_duckdb_statements_are_refused(statement: str, yt: DevClient) -> None:
    error = _refused(yt, statement + ";")
    assert f"{statement.split(maxsplit=1)[0]} is not a YQL statement" in str(error)


@pytest.mark.parametrize(
    "path", ["`//p/../secret`", "`../secret.csv`", "`//p/t/../../../secret.csv`", "`//.`"]
)
def test_dot_dot_through_a_table_path_reads_nothing(path: str, yt: DevClient) -> None:
    error = _refused(yt, f"SELECT * FROM {path};")
    assert isinstance(error, YtPathError)


def test_a_backticked_file_in_a_from_list_is_a_table_name(
    yt: DevClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in YQL, it names the table //secret.csv (which does not exist), never a file."""
    error = _refused(yt, "SELECT * FROM `//p/t` AS a, `secret.csv` AS b;")
    assert isinstance(error, TableNotFound)
    assert "//secret.csv" in str(error)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM '{secret}'",
        "SELECT * FROM 'secret.csv'",
        "SELECT * FROM '.dev/../secret.csv'",
        "SELECT * FROM read_json('{table}') AS a, 'secret.csv' AS b",
        "SELECT * FROM read_json('{table}') AS a, \"secret.csv\" AS b",
        "COPY (SELECT * FROM '{secret}') TO '{table}.out' (FORMAT JSON)",
    ],
)
def test_duckdb_is_sealed_even_when_the_translator_lets_a_file_through(
    sql: str, yt: DevClient, tmp_path: Path
) -> None:
    """SQL a buggy translator might emit, run as the engine runs each statement: DuckDB's
    own seal refuses the file and the engine names the refusal (no DuckDB exception)."""
    table = tmp_path / ".dev" / "t.jsonl"
    dev_engine = engine.DevYqlEngine(yt.tables)
    dev_engine._files[str(table)] = "//p/t"  # pyright: ignore[reportPrivateUsage]
    session = engine._Session()  # pyright: ignore[reportPrivateUsage]
    try:
        with pytest.raises(YqlError) as caught:
            dev_engine._execute(  # pyright: ignore[reportPrivateUsage]
                session, sql.format(secret=tmp_path / "secret.csv", table=table), 2
            )
    finally:
        session.close()
    assert "dev refused DuckDB access to a file" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert not (tmp_path / ".dev" / "t.jsonl.out").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('{secret}')",
        "SELECT * FROM 'secret.csv'",
        "SELECT * FROM read_text('{dev}/../secret.csv')",
        "SELECT * FROM glob('{dev}/*')",
        "COPY (SELECT 1 AS a) TO '{dev}/other.jsonl' (FORMAT JSON)",
        "INSTALL httpfs",
        "LOAD httpfs",
        "ATTACH '{dev}/x.db'",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET allowed_paths = ['/etc/passwd']",
        "RESET lock_configuration",
    ],
)
def test_a_sealed_connection_opens_only_its_files(sql: str, yt: DevClient, tmp_path: Path) -> None:
    dev = tmp_path / ".dev"
    table = str(dev / "t.jsonl")
    connection = engine._sealed_connection([table])  # pyright: ignore[reportPrivateUsage]
    try:
        assert connection.execute(f"SELECT count(*) FROM read_json('{table}')").fetchall() == [(2,)]
        with pytest.raises(Exception) as caught:
            connection.execute(sql.format(secret=tmp_path / "secret.csv", dev=dev)).fetchall()
        assert type(caught.value).__module__ in {"duckdb", "_duckdb"}
    finally:
        connection.close()
    assert not (dev / "other.jsonl").exists()
    assert not (dev / "x.db").exists()


def test_sealing_keeps_every_table_form_working(yt: DevClient) -> None:
    yt.run_yql(
        "$big = SELECT x FROM `//p/t` WHERE x > 1;\n"
        "INSERT INTO `//p/out` WITH TRUNCATE SELECT a.x AS x FROM `//p/t` AS a "
        "JOIN $big AS b ON a.x == b.x;\n"
        "COMMIT;\n"
        "INSERT INTO hahn.`//p/out` SELECT x FROM `p/t` WHERE x IN (SELECT x FROM $big);"
    )
    assert yt.run_yql("SELECT x FROM `//p/out` ORDER BY x;") == [{"x": 2}, {"x": 2}]


# --- docs/yql.md ---------------------------------------------------------------------------


def _cell(text: str) -> str:
    text = text.strip()
    for fence in ("``", "`"):
        if len(text) > 2 * len(fence) and text.startswith(fence) and text.endswith(fence):
            return text[len(fence) : -len(fence)].strip()
    return text


def test_doc_lists_the_refused_forms() -> None:
    text = DOC.read_text(encoding="utf-8")
    marker = "\n## Sealed from local files\n"
    assert marker in text, "docs/yql.md has no '## Sealed from local files' section"
    section = text.split(marker, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    documented = [tuple(_cell(cell) for cell in row.split("|")[1:-1]) for row in rows]
    expected = [
        (form.construct, form.query.split("\n")[0].format(secret="/home/me/data.csv"), form.id)
        for form in FORMS
    ]
    assert documented == expected
