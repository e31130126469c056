"""Dev YQL against SQLite's answers on YDB's sqllogictest queries (``tests/yql_oracle``).

The baseline records each case's outcome (``pass``, ``refused``, ``wrong``); a case may get
better, never worse. The default suite runs a fixed sample; the slow step runs every case.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.yql_oracle import runner
from tests.yql_oracle.cases import DATA, Case, load_suites
from tests.yql_oracle.report import END, START, load_baseline, section
from tests.yql_oracle.runner import OUTCOMES, Result, run_cases

DOC = Path(__file__).resolve().parents[1] / "docs" / "yql.md"
ALL: list[Case] = [case for suite in load_suites() for case in suite.cases]
SAMPLE = {case.id for case in ALL[:: max(1, len(ALL) // 40)]}


def _no_worse(results: list[Result]) -> None:
    baseline = load_baseline()
    worse = [
        f"{r.case.id}: {baseline.get(r.case.id)} -> {r.outcome} ({r.detail})"
        for r in results
        if r.case.id not in baseline
        or OUTCOMES.index(r.outcome) < OUTCOMES.index(baseline[r.case.id])
    ]
    assert not worse, "cases got worse than tests/yql_oracle/baseline.json:\n" + "\n".join(worse)


def test_every_case_is_sourced_and_in_the_baseline():
    assert len(ALL) >= 300
    assert set(load_baseline()) == {case.id for case in ALL}
    for case in ALL:
        name = case.id.split(":")[0]
        line = (DATA / name).read_text().splitlines()[case.line - 1]
        # `skipped_cs` marks a query YDB skips on column tables only: the loader runs it.
        assert line.rstrip() in ("statement query", "statement skipped_cs query"), case.id
        assert case.file.endswith("/" + name) and len(case.commit) == 40


def test_sample_no_worse_than_baseline():
    results = list(run_cases(SAMPLE))
    assert len(results) == len(SAMPLE) >= 30
    _no_worse(results)


@pytest.mark.slow
def test_all_cases_no_worse_than_baseline():
    results = list(run_cases())
    assert len(results) == len(ALL)
    _no_worse(results)


def test_docs_section_is_generated_from_the_baseline():
    doc = DOC.read_text()
    assert doc.count(START) == 1 and doc.count(END) == 1
    shown = START + doc.split(START, 1)[1].split(END, 1)[0] + END
    assert shown == section(load_baseline())


def _fixed(text: str) -> Callable[[str, set[str]], str]:
    def translate(sql: str, tables: set[str]) -> str:
        return text

    return translate


def test_a_different_answer_is_wrong_and_a_refusal_is_refused(monkeypatch: pytest.MonkeyPatch):
    """The harness itself: it must see a different answer, and tell a refusal from it."""
    case = ALL[0]
    monkeypatch.setattr(runner, "yql_text", _fixed("SELECT 1 AS col1"))
    assert [r.outcome for r in run_cases({case.id})] == ["wrong"]
    monkeypatch.setattr(runner, "yql_text", _fixed("SELECT * FROM `//tmp/slt/no`"))
    assert [r.outcome for r in run_cases({case.id})] == ["refused"]


def test_table_names_become_dev_paths_and_nothing_else_changes():
    sql = "select t1.a, x.b from t1 cross join (select b from T1 as x) as x where a>1"
    assert runner.yql_text(sql, {"t1"}) == (
        "select t1.a, x.b from `//tmp/slt/t1` AS t1 cross join "
        "(select b from `//tmp/slt/t1` as x) as x where a>1"
    )
