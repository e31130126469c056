"""ytjobs.io: reading and writing rows inside a job, both codecs, several output tables, groups.

Whatever touches stdin, stdout, stderr, file descriptors or exit status runs in a real child
Python process, the way ytflow's dev runner and YT's job proxy start jobs.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ytjobs_helpers import MAPPER, job_env, parse_jsonl, run_job, write_script

from ytjobs.io import groups, read_rows, write_row

CODECS = ["orjson", "json"]


def jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


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
