"""Runs the documented YQL examples through dev YQL and compares with the documented result.

A doc states a result as text (``-- 1.23``, ``-- "WVFM"``, ``-- [1, 2]``, ``-- null``); the
answer, the single value of the single row, matches when it reads the same: numbers to the
digits the doc prints, ``true``/``false``/``null``, strings with or without quotes, lists item
by item. Outcome: ``pass``, ``refused`` (a ``YtflowError`` naming what dev cannot run), or
``wrong`` (a different answer, or any other exception).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from tests.yql_oracle.yql_docs import DocCase
from ytflow.dev.client import DevClient
from ytflow.errors import YtflowError

OUTCOMES = ("wrong", "refused", "pass")  # worst first


def _parse(text: str) -> Any:
    """The documented result as a value; a bare word is a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def _digits(text: str) -> int | None:
    """How many decimals the doc prints for a number (None: exponent form, compare relatively)."""
    if "e" in text.lower():
        return None
    return len(text.split(".")[1]) if "." in text else 0


def same(actual: Any, documented: Any, shown: str) -> bool:
    """``actual`` reads as the doc's ``documented`` (printed as ``shown``)."""
    if isinstance(documented, list):
        items: list[Any] = list(documented)  # pyright: ignore[reportUnknownArgumentType]
        if not isinstance(actual, list):
            return False
        got: list[Any] = list(actual)  # pyright: ignore[reportUnknownArgumentType]
        if len(got) != len(items):
            return False
        return all(same(a, d, json.dumps(d)) for a, d in zip(got, items, strict=True))
    if documented is None or isinstance(documented, bool):
        return actual is documented
    if isinstance(documented, (int, float)):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        digits = _digits(shown)
        if digits is None:
            return math.isclose(actual, documented, rel_tol=1e-12)
        return round(actual, digits) == documented
    if isinstance(actual, bytes):
        actual = actual.decode()
    return actual == documented


def run_case(case: DocCase, client: DevClient) -> tuple[str, str]:
    """The case's outcome and, for a miss, what came back."""
    try:
        rows = client.run_yql(case.yql)
    except YtflowError as err:
        return "refused", str(err).splitlines()[0]
    except Exception as err:  # any other exception is a wrong answer
        return "wrong", f"{type(err).__name__}: {err}"
    if len(rows) != 1 or len(rows[0]) != 1:
        return "wrong", f"rows {rows!r}"
    value = next(iter(rows[0].values()))
    if same(value, _parse(case.documented), case.documented):
        return "pass", ""
    return "wrong", f"got {value!r}"


def run_all(cases: tuple[DocCase, ...]) -> list[tuple[DocCase, str, str]]:
    """Every case's outcome, each on a fresh dev directory."""
    results: list[tuple[DocCase, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, case in enumerate(cases):
            client = DevClient(Path(tmp) / str(index))
            outcome, detail = run_case(case, client)
            results.append((case, outcome, detail))
    return results


if __name__ == "__main__":
    from tests.yql_oracle.yql_docs import CASES

    for case, outcome, detail in run_all(CASES):
        print(f"{case.id:28} {case.baseline:8} {outcome:8} {detail[:110]}")
