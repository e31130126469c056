"""YQL's documented examples (``tests/yql_oracle/yql_docs.py``) against dev YQL.

No case may do worse than its recorded baseline, and a ``wrong`` answer is allowed only where
the baseline records it with its reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.yql_oracle.docs_runner import OUTCOMES, run_case, same
from tests.yql_oracle.yql_docs import CASES, DocCase
from ytflow.dev.client import DevClient


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_documented_example(case: DocCase, tmp_path: Path) -> None:
    outcome, detail = run_case(case, DevClient(tmp_path))
    assert OUTCOMES.index(outcome) >= OUTCOMES.index(case.baseline), (
        f"{case.id} ({case.path}:{case.line}) is {outcome}, baseline {case.baseline}: {detail}"
    )
    if outcome == "wrong":
        assert case.reason, f"{case.id} answers wrongly with no recorded reason: {detail}"


def test_cases_are_recorded_with_their_source() -> None:
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        assert case.path.startswith("ydb/docs/en/core/yql/reference/")
        assert len(case.commit) == 40
        assert case.baseline in OUTCOMES
        assert case.baseline == "pass" or case.reason


@pytest.mark.parametrize(
    ("actual", "documented", "shown", "expected"),
    [
        (1.2300000001, 1.23, "1.23", True),
        (1.24, 1.23, "1.23", False),
        (16.0, 16, "16", True),
        (True, 1, "1", False),
        (None, None, "null", True),
        (0, None, "null", False),
        (["1", "2"], ["1", "2"], '["1", "2"]', True),
        (b"WVFM", "WVFM", '"WVFM"', True),
    ],
)
def test_same_reads_the_documented_text(
    actual: object, documented: object, shown: str, expected: bool
) -> None:
    assert same(actual, documented, shown) is expected


def test_substring_null_position_and_length_mean_start_and_end(tmp_path: Path) -> None:
    client = DevClient(tmp_path)
    rows = client.run_yql(
        'SELECT SUBSTRING("abcdefg", NULL, 3) AS a, SUBSTRING("abcdefg", 2, NULL) AS b'
    )
    assert rows == [{"a": "abc", "b": "cdefg"}]
