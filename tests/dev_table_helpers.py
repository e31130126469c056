"""Constants and helpers shared by the dev table store tests (``test_dev_tables_*.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from ytflow.dev.metadata import META_DIR_NAME

DATA = "//tmp/my_pipeline/data"
OTHER_DATA = "//home/other_project/data"  # same base name as DATA, different table


def meta_json(dev_dir: Path, name: str) -> dict[str, Any]:
    return orjson.loads((dev_dir / META_DIR_NAME / f"{name}.json").read_bytes())
