"""The errors stage code catches, in dev and prod alike.

Backends translate their own failures (files, DuckDB, ``yt.wrapper``) into these types at the
client seam, so a stage never needs to know which backend it runs on. Each error carries a
message that names the culprit, an optional hint that says how to fix it, and, where YT has
one, the YT error code the cluster would report.
"""

from __future__ import annotations

from collections.abc import Sequence

# YT error codes (yt/core/ytree/public.h, yt/client/table_client/public.h).
YT_RESOLVE_ERROR = 500
YT_ALREADY_EXISTS = 501


class YtflowError(Exception):
    """Base of every ytflow error; ``exit_code`` is what the CLI exits with."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nhint: {self.hint}"
        return self.message


class ConfigError(YtflowError):
    """A config file or value is wrong; the pipeline does not start (exit code 2)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ", ".join(part for part in (file, f"key '{key}'" if key else None) if part)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.file = file
        self.key = key


class UsageError(YtflowError):
    """The command line or an API call was used wrongly (exit code 2)."""

    exit_code = 2


class StageLoadError(YtflowError):
    """A ``stages/<name>/stage.py`` could not be turned into exactly one Stage (exit code 2)."""

    exit_code = 2


class StageError(YtflowError):
    """A stage raised or returned something that is not a dict; names the stage."""

    def __init__(self, stage: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"stage '{stage}' {message}", hint=hint)
        self.stage = stage
        self.reported = False


class YtPathError(YtflowError, ValueError):
    """A string is not a table path YT (and therefore dev) would accept."""


class TableNotFound(YtflowError, LookupError):
    """The table does not exist; the cluster answers the same with a resolve error."""

    def __init__(self, path: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"Error resolving path {path}: table does not exist",
            hint=hint,
            code=YT_RESOLVE_ERROR,
        )
        self.path = path


class PathConflict(YtflowError):
    """Two logical paths would share one dev file; refusing beats a silent overwrite."""


class RowError(YtflowError, ValueError):
    """A row cannot be stored: not a dict, a value JSON cannot hold, or too heavy."""

    def __init__(
        self,
        table: str,
        row_index: int,
        message: str,
        *,
        column: str | None = None,
        hint: str | None = None,
        code: int | None = None,
    ) -> None:
        where = f"row {row_index}" + (f", column '{column}'" if column is not None else "")
        super().__init__(f"{table}: {where}: {message}", hint=hint, code=code)
        self.table = table
        self.row_index = row_index
        self.column = column


class TableFormatError(YtflowError):
    """A stored dev table holds a line that is not a JSON object."""


class DevStoreError(YtflowError):
    """A dev table's file cannot be used: a directory in its place, a full disk, ..."""


class YqlError(YtflowError):
    """A YQL query is malformed, uses what dev cannot reproduce, or failed to run."""

    def __init__(self, message: str, *, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(f"YQL line {line}: {message}" if line else f"YQL: {message}", hint=hint)
        self.line = line


class OperationError(YtflowError):
    """An operation failed; its output tables are left exactly as they were."""

    def __init__(
        self,
        message: str,
        *,
        job_index: int | None = None,
        exit_status: int | None = None,
        stderr_tail: Sequence[str] = (),
        hint: str | None = None,
        code: int | None = None,
    ) -> None:
        details = message
        if stderr_tail:
            details += "\n  stderr (last lines):\n" + "\n".join(
                f"    {line}" for line in stderr_tail
            )
        super().__init__(details, hint=hint, code=code)
        self.job_index = job_index
        self.exit_status = exit_status
        self.stderr_tail = list(stderr_tail)


class RunLockedError(YtflowError):
    """Another run of the same pipeline holds its dev run lock (exit code 3); names the holder."""

    exit_code = 3
