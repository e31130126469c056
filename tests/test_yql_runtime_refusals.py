"""Values dev cannot answer as YQL would are refused when the query meets them, by name, with a
hint; the same functions on values dev can answer run (``test_yql_conformance.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytflow.dev.client import DevClient
from ytflow.errors import YqlError


@pytest.fixture
def yt(tmp_path: Path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//p/t", [{"s": "héllo", "x": 7.5, "z": 0.0}])
    return client


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('SELECT FIND(s, "l") FROM `//p/t`', "FIND counts bytes in YQL"),
        ('SELECT RFIND(s, "l") FROM `//p/t`', "RFIND counts bytes in YQL"),
        ("SELECT SUBSTRING(s, 2, 1) FROM `//p/t`", "a SUBSTRING cut a UTF-8 character in two"),
        ("SELECT ListFromRange(0, x) FROM `//p/t`", "ListFromRange over Double values"),
        ("SELECT BITCAST(x AS Int8) FROM `//p/t`", "BITCAST of a Double"),
        ("SELECT x / z FROM `//p/t`", "a Double was divided by zero"),
        ("SELECT x % z + 1 / (z - z) FROM `//p/t`", "a Double was divided by zero"),
        ("SELECT x FROM `//p/t` WHERE NOT x IN (1.5)", "NOT applies to a Bool in YQL"),
    ],
)
def test_a_value_dev_cannot_answer_is_refused_by_name(
    yt: DevClient, query: str, message: str
) -> None:
    with pytest.raises(YqlError, match="YQL line 1: " + message) as caught:
        yt.run_yql(query)
    assert caught.value.hint


def test_an_insert_refused_at_run_time_leaves_its_target(yt: DevClient) -> None:
    yt.write_table("//p/out", [{"a": 1}])
    with pytest.raises(YqlError, match="FIND counts bytes"):
        yt.run_yql('INSERT INTO `//p/out` WITH TRUNCATE SELECT FIND(s, "l") AS a FROM `//p/t`')
    assert list(yt.read_table("//p/out")) == [{"a": 1}]
