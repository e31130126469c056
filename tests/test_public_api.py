"""The public surface is explicit and pinned: changing it is a deliberate act."""

from __future__ import annotations

from importlib.metadata import version

import ytflow


def test_public_names_are_pinned() -> None:
    assert sorted(ytflow.__all__) == sorted(
        [
            "ConfigError",
            "ConfigNode",
            "OperationError",
            "PathConflict",
            "Pipeline",
            "RowError",
            "Stage",
            "StageDeps",
            "StageError",
            "StageLoadError",
            "TableFormatError",
            "TableNotFound",
            "UsageError",
            "YtPathError",
            "YtflowError",
            "__version__",
        ]
    )
    for name in ytflow.__all__:
        assert hasattr(ytflow, name), name


def test_version_matches_installed_metadata() -> None:
    assert ytflow.__version__ == version("ytflow")


def test_errors_carry_yt_codes_and_exit_codes() -> None:
    assert ytflow.TableNotFound("//tmp/x").code == 500
    assert ytflow.ConfigError("bad").exit_code == 2
    assert ytflow.UsageError("bad").exit_code == 2
    assert ytflow.OperationError("failed").exit_code == 1
    assert isinstance(ytflow.TableNotFound("//tmp/x"), LookupError)
