"""Job output follows YT's rules: every line one JSON object, no row over 16 MiB, checked at once.

End-to-end runs prove the rules on real jobs; hypothesis feeds the output checker random
streams, in random pieces, and compares its verdict with a line-by-line orjson oracle.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import Generator
from pathlib import Path

import orjson
import pytest
from conftest import MakePipeline, read_dev_table, stage_code
from dev_map_helpers import INPUT, MAP_STAGE, MAPPER, OUTPUT, failed, map_config, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytflow.client.row_encoding import MAX_ROW_WEIGHT
from ytflow.dev import job_output
from ytflow.dev.job_output import OutputChecker

CREATE = stage_code(
    """
    yt = self.deps.yt_client
    yt.write_table(table_path="//tmp/p/input", rows=[{"i": i} for i in range(3)])
    yt.write_table(table_path="//tmp/p/output", rows=[{"old": True}])
    """
)


def _rules_pipeline(
    make_pipeline: MakePipeline, mapper: str, *, name: str = "pipe", **fields: object
) -> Path:
    """Input rows and an output table that a failed operation must leave as it was."""
    return make_pipeline(
        {"create": CREATE, "mapit": MAP_STAGE},
        stage_configs={"mapit": map_config(**fields)},
        files={MAPPER: mapper},
        name=name,
    )


def test_a_row_over_16_mib_fails_the_job(make_pipeline: MakePipeline) -> None:
    mapper = """
import sys
from ytjobs.io import write_row
write_row({"ok": 1})
write_row({"big": "x" * (17 * 1024 * 1024)})
"""
    root = _rules_pipeline(make_pipeline, mapper)

    stderr = failed(run(root))

    assert f"map {INPUT} -> {OUTPUT} failed: job 0 wrote a row over the row weight limit" in stderr
    assert "line 2 is " in stderr
    assert f"over the row weight limit of {MAX_ROW_WEIGHT} bytes" in stderr
    assert read_dev_table(root, "output") == [{"old": True}]


def test_malformed_json_after_many_good_lines_fails_the_job(make_pipeline: MakePipeline) -> None:
    mapper = """
import sys
for number in range(5000):
    sys.stdout.write('{"n": %d}\\n' % number if number != 4321 else '{"n": tru}\\n')
"""
    root = _rules_pipeline(make_pipeline, mapper)

    stderr = failed(run(root))

    assert "wrote a line that is not a JSON object to output table 0 (stdout), line 4322 is " in (
        stderr
    )
    assert "'{\"n\": tru}'" in stderr
    assert read_dev_table(root, "output") == [{"old": True}]


def test_a_bad_line_on_a_second_output_table_is_named(make_pipeline: MakePipeline) -> None:
    mapper = """
import os
from ytjobs.io import write_row
write_row({"a": 1})
os.write(4, b'{"a": 1}\\n[1, 2]\\n')
"""
    root = _rules_pipeline(make_pipeline, mapper, output_table=[OUTPUT, "//tmp/p/second"])

    stderr = failed(run(root))

    assert "output table 1 (file descriptor 4), line 2 is JSON but not an object" in stderr
    assert not (root / ".dev" / "second.jsonl").exists()


def test_the_job_fails_at_the_bad_line_not_when_it_ends(make_pipeline: MakePipeline) -> None:
    mapper = """
import sys, time
sys.stdout.write("{'python': 'repr'}\\n")
sys.stdout.flush()
time.sleep(600)
"""
    root = _rules_pipeline(make_pipeline, mapper)

    started = time.monotonic()
    stderr = failed(run(root))

    assert time.monotonic() - started < 20
    assert "line 1 is not JSON: \"{'python': 'repr'}\"" in stderr


# --- the checker itself, fuzzed ----------------------------------------------------------------

JUNK_LINES = [
    b"",
    b"   ",
    b"[1]",
    b"3",
    b'"text"',
    b"null",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": 1e400}',
    b'{"a": -2E+308}',
    b'{"a": ' + b"9" * 400 + b"}",
    b'{"a": 1}{"b": 2}',
    b'{"a": 1} {"b": 2}',
    b'{"a": 1},',
    b'{"a": tru}',
    b'{"a": "\xff"}',
    b'{"a": "\\ud800"}',
    b"{'a': 1}",
    b'{"a": ' + b"[" * 1100 + b"]" * 1100 + b"}",
    b' {"a": 1} ',
    b'{"a": 1e-400}',
    b'{"a": "}\\n{"}',
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
good_lines = st.dictionaries(st.text(max_size=8), json_values, max_size=5).map(orjson.dumps)
lines = st.one_of(
    good_lines,
    good_lines,
    st.sampled_from(JUNK_LINES),
    st.binary(max_size=40).map(lambda data: data.replace(b"\n", b"")),
)


@contextlib.contextmanager
def _default_recursion_limit() -> Generator[None]:
    """Hypothesis raises the recursion limit; the checker process runs at Python's default."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


def _is_object(line: bytes) -> bool:
    """orjson's verdict; where orjson refuses a number beyond the double range, JSON's grammar
    (the standard library's parser, NaN and Infinity refused) decides, as YT's parser does."""
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError as error:
        if "infinity when parsed as double" not in str(error):
            return False

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    try:
        return isinstance(json.loads(line, parse_constant=refuse), dict)
    except (ValueError, RecursionError):
        return False


def _oracle(data: bytes, max_weight: int) -> tuple[int, int | None]:
    """(rows, first bad line number or None), judged line by line."""
    parts = data.split(b"\n")
    whole, last = parts[:-1], parts[-1]
    if last.strip():
        whole.append(last)
    for number, line in enumerate(whole, 1):
        if len(line) + 1 > max_weight or not _is_object(line):
            return number - 1, number
    return len(whole), None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(lines, max_size=30),
    trailing_newline=st.booleans(),
    pieces=st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=8),
    buffer_bytes=st.sampled_from([1, 16, 256, 1 << 22]),
    max_weight=st.sampled_from([48, 4096, MAX_ROW_WEIGHT]),
    now=st.booleans(),
)
def test_the_checker_agrees_with_a_line_by_line_parse(
    body: list[bytes],
    trailing_newline: bool,
    pieces: list[int],
    buffer_bytes: int,
    max_weight: int,
    now: bool,
) -> None:
    data = b"\n".join(body) + (b"\n" if trailing_newline and body else b"")
    checker = OutputChecker(max_weight, buffer_bytes=buffer_bytes)
    bad = None
    offset = 0
    step = 0
    with _default_recursion_limit():  # as in the checker process: the fast path is on
        while offset < len(data) and bad is None:
            size = pieces[step % len(pieces)]
            bad = checker.feed(data[offset : offset + size], now=now and step % 2 == 1)
            offset += size
            step += 1
        if bad is None:
            bad = checker.finish()

    rows, first_bad = _oracle(data, max_weight)
    if first_bad is None:
        assert bad is None, (data, bad)
        assert checker.rows == rows
    else:
        assert bad is not None, data
        assert bad.line_number == first_bad, (data, bad)


@pytest.mark.parametrize("line", JUNK_LINES[2:])
def test_every_junk_line_is_refused_in_a_large_clean_buffer(line: bytes) -> None:
    """The fast path (a big buffer of well-shaped rows) must still find one bad line in it."""
    good = b'{"n": 1, "s": "abc"}\n' * 1000
    data = good + line + b"\n" + good
    expected = _oracle(data, MAX_ROW_WEIGHT)[1]

    with _default_recursion_limit():
        bad = job_output.check_lines(data, 0, MAX_ROW_WEIGHT)

    assert (bad.line_number if bad else None) == expected


RAW_MAPPER = """
import sys
sys.stdin.buffer.read()
with open({path!r}, "rb") as source:
    sys.stdout.buffer.write(source.read())
"""

_runs = itertools.count()


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.lists(lines, max_size=12), trailing_newline=st.booleans())
def test_real_jobs_commit_exactly_the_valid_rows_or_fail_naming_the_line(
    make_pipeline: MakePipeline, tmp_path: Path, body: list[bytes], trailing_newline: bool
) -> None:
    number = next(_runs)
    data = b"\n".join(body) + (b"\n" if trailing_newline and body else b"")
    source = tmp_path / f"output_{number}.bin"
    source.write_bytes(data)
    root = _rules_pipeline(
        make_pipeline, RAW_MAPPER.format(path=str(source)), name=f"fuzz_{number}"
    )

    result = run(root)

    rows, first_bad = _oracle(data, MAX_ROW_WEIGHT)
    stored = [line for line in (root / ".dev" / "output.jsonl").read_bytes().split(b"\n") if line]
    if first_bad is None:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        expected = [line for line in data.split(b"\n") if line.strip()]
        assert stored == expected  # exactly the job's rows, byte for byte
        assert len(expected) == rows
    else:
        assert result.returncode == 1, result.stderr
        # The stage's report: an OperationError naming the line, no other exception.
        assert "ytflow.errors.OperationError: map //tmp/p/input -> //tmp/p/output failed" in (
            result.stderr
        )
        assert f"line {first_bad} is " in result.stderr
        assert stored == [b'{"old":true}']


def test_a_trailing_blank_fragment_is_not_stored(tmp_path: Path) -> None:
    """Trailing whitespace without a newline is no row: it must not reach the table file."""
    read, write = os.pipe()
    os.write(write, b'{"a": 1}\n{"b": 2}\n  \t')
    os.close(write)
    target = tmp_path / "out.jsonl"

    with target.open("wb") as handle:
        rows, bad = job_output.stream(read, handle, MAX_ROW_WEIGHT)
    os.close(read)

    assert (rows, bad) == (2, None)
    assert target.read_bytes() == b'{"a": 1}\n{"b": 2}\n'
