"""Operation configs (map, reduce, map_reduce, sort, vanilla) as validated, backend-neutral models.

A stage's ``config.yaml`` holds these under ``client.operations.<kind>``. Both backends read
the same model: dev turns it into local jobs, prod into a YT operation spec. Field docs are
the reference users see in errors and docs.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from ytflow.paths import validate_table_path


class StrictModel(BaseModel):
    """Unknown keys are errors (with a "did you mean"), values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _yt_path(value: str) -> str:
    return validate_table_path(value)


def _yt_folder(value: str) -> str:
    return validate_table_path(value, what="folder path")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


YtPath = Annotated[str, AfterValidator(_yt_path)]
"""A plain Cypress path such as ``//tmp/my_pipeline/data``."""

YtFolder = Annotated[str, AfterValidator(_yt_folder)]
"""A Cypress folder such as ``//tmp/my_pipeline/build``."""

TablePaths = Annotated[list[YtPath], BeforeValidator(_as_list), Field(min_length=1)]
"""One table path or a list of them."""

Columns = Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1)]
TimeLimit = Annotated[
    float | None,
    Field(
        gt=0,
        le=30 * 24 * 3600,
        description="Wall-clock limit for the whole operation (YT's spec time_limit, there in "
        "ms); past it every job is killed and the operation fails.",
    ),
]
"""One column name or a list of them."""


class Resources(StrictModel):
    """What each job may use; all optional, the cluster's defaults apply when absent."""

    pool: str | None = Field(default=None, description="YT scheduler pool the operation runs in.")
    pool_tree: str | None = Field(
        default=None, min_length=1, description="YT pool tree of that pool (prod's pool_trees)."
    )
    memory_limit_gb: float | None = Field(
        default=None,
        gt=0,
        le=1024,
        description="Memory per job in GiB; dev kills a job that exceeds it.",
    )
    cpu_limit: float | None = Field(
        default=None,
        gt=0,
        le=256,
        description="CPU cores per job; fractions such as 0.5 are allowed.",
    )
    job_count: int | None = Field(
        default=None, ge=1, le=100_000, description="Number of jobs; dev runs this many local jobs."
    )
    gpu_limit: int = Field(default=0, ge=0, le=16, description="GPUs per job.")
    docker_image: str | None = Field(
        default=None,
        min_length=1,
        description="Job image in prod; dev runs on the local interpreter.",
    )


def _tables(paths: list[str] | str) -> str:
    return paths if isinstance(paths, str) else ", ".join(paths)


class _Operation(StrictModel):
    kind: ClassVar[str]

    def describe(self) -> str:
        """How logs and errors name this operation, e.g. ``map //a -> //b``."""
        source = getattr(self, "input_table", None)
        target = getattr(self, "output_table", None)
        if source is None or target is None:
            return self.kind
        return f"{self.kind} {_tables(source)} -> {_tables(target)}"


class _JobOperation(_Operation):
    append: bool = Field(
        default=False, description="Append to the output table instead of replacing it."
    )
    max_failed_job_count: int = Field(
        default=1,
        ge=1,
        le=10_000,
        description="Failed jobs tolerated (each retried) before failing.",
    )
    time_limit_seconds: TimeLimit = None
    resources: Resources = Resources()


class MapOperation(_JobOperation):
    """``client.operations.map``: run ``mapper`` over every row of ``input_table``."""

    kind: ClassVar[str] = "map"

    input_table: TablePaths
    output_table: TablePaths
    mapper: str = Field(
        default="src/mapper.py", min_length=1, description="Job script, stage-relative."
    )


class ReduceOperation(_JobOperation):
    """``client.operations.reduce``: ``reducer`` sees all rows of one key together."""

    kind: ClassVar[str] = "reduce"

    input_table: TablePaths
    output_table: TablePaths
    reducer: str = Field(
        default="src/reducer.py", min_length=1, description="Job script, stage-relative."
    )
    reduce_by: Columns
    sort_by: Columns | None = Field(default=None, description="Defaults to reduce_by.")

    @property
    def key_columns(self) -> list[str]:
        """The columns rows are sorted by before reducing (``sort_by``, else ``reduce_by``)."""
        return self.sort_by or self.reduce_by

    @model_validator(mode="after")
    def _sort_by_starts_with_reduce_by(self) -> ReduceOperation:
        _check_key_prefix(self.reduce_by, self.sort_by)
        return self


class MapReduceOperation(_JobOperation):
    """``client.operations.map_reduce``: mapper, then partition and sort by key, then reducer."""

    kind: ClassVar[str] = "map_reduce"

    input_table: TablePaths
    output_table: TablePaths
    mapper: str = Field(default="src/mapper.py", min_length=1)
    reducer: str = Field(default="src/reducer.py", min_length=1)
    reduce_by: Columns
    sort_by: Columns | None = Field(default=None, description="Defaults to reduce_by.")
    reduce_job_count: int | None = Field(
        default=None, ge=1, le=100_000, description="Reducer jobs."
    )

    @property
    def key_columns(self) -> list[str]:
        """The columns mapper output is sorted by before reducing."""
        return self.sort_by or self.reduce_by

    @model_validator(mode="after")
    def _sort_by_starts_with_reduce_by(self) -> MapReduceOperation:
        _check_key_prefix(self.reduce_by, self.sort_by)
        return self


class SortOperation(_Operation):
    """``client.operations.sort``: sort ``input_table`` into ``output_table`` by ``sort_by``."""

    kind: ClassVar[str] = "sort"

    input_table: TablePaths
    output_table: YtPath
    sort_by: Columns
    resources: Resources = Resources()


class VanillaOperation(_Operation):
    """``client.operations.vanilla``: run ``command`` as ``resources.job_count`` jobs, no tables."""

    kind: ClassVar[str] = "vanilla"

    command: str = Field(
        default="src/vanilla.py", min_length=1, description="Script, stage-relative."
    )
    max_failed_job_count: int = Field(default=1, ge=1, le=10_000)
    time_limit_seconds: TimeLimit = None
    resources: Resources = Resources()


def _check_key_prefix(reduce_by: list[str], sort_by: list[str] | None) -> None:
    if sort_by is not None and sort_by[: len(reduce_by)] != reduce_by:
        raise ValueError(
            f"sort_by {sort_by} must start with reduce_by {reduce_by} (as on YT): rows of one "
            "key must be adjacent"
        )


OperationSpec = (
    MapOperation | ReduceOperation | MapReduceOperation | SortOperation | VanillaOperation
)
"""Any operation config; backends dispatch on its type."""

OPERATION_MODELS: dict[str, type[StrictModel]] = {
    "map": MapOperation,
    "reduce": ReduceOperation,
    "map_reduce": MapReduceOperation,
    "sort": SortOperation,
    "vanilla": VanillaOperation,
}
"""Operation kinds validated when a stage's config is loaded (``client.operations.<kind>``)."""
