"""Operations on the cluster: upload the bundle, submit the spec, wait with progress, report.

The spec submitted is exactly ``specs.operation_spec``'s (what ``ytflow plan`` prints), its
``Attributed`` values turned into YSON. Everything runs in one transaction: missing output
tables (and their folders) are created in it, the operation runs in it, and it commits only
when the operation completed, so a failed or interrupted run leaves every output table
exactly as it was, not even an empty new one behind. Ctrl-C while waiting aborts the
operation before re-raising.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ytflow.bundle import require_script
from ytflow.client.job_secrets import JobSecrets
from ytflow.errors import TableNotFound
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationResult,
    OperationSpec,
    ReduceOperation,
    SortOperation,
    VanillaOperation,
)
from ytflow.prod.op_errors import operation_failure, translate
from ytflow.prod.progress import JobCounts, ProdProgress
from ytflow.prod.specs import Attributed, JobContext, operation_spec
from ytflow.prod.upload import BundleUpload

if TYPE_CHECKING:
    import yt.wrapper

FINISHED = frozenset({"completed", "failed", "aborted"})
POLL_FIRST_SECONDS = 0.05
POLL_MAX_SECONDS = 5.0


class ProdOperations:
    """Runs ytflow operation configs as YT operations from the uploaded code bundle."""

    def __init__(
        self, yt: yt.wrapper.YtClient, *, root: Path, upload: BundleUpload, secrets: JobSecrets
    ) -> None:
        self.yt = yt
        self.root = root
        self.upload = upload
        self.secrets = secrets

    def run(self, spec: OperationSpec, stage: str) -> OperationResult:
        """Run ``spec`` for ``stage`` (a sort runs no code; the stage names it in its title)."""
        from yt.wrapper.errors import YtError  # noqa: PLC0415 - yt only in prod, lazily

        context = self._context(spec, stage)
        operation_type, raw = operation_spec(spec, context)
        title = str(raw["title"])
        outputs = _outputs(spec)
        append = bool(getattr(spec, "append", False))
        try:
            with self.yt.Transaction(attributes={"title": title}):
                self._check_inputs(spec)
                before = self._prepare_outputs(outputs, append=append)
                operation_id = self._start(operation_type, to_yson(raw))
                counts = self._wait(operation_id, title)
                written = {path: self._row_count(path) - before[path] for path in outputs}
        except YtError as error:
            raise translate(error, title, self.secrets.mask) from None
        return OperationResult(
            operation=spec.describe(),
            output_rows=written,
            jobs=counts.completed,
            failed_jobs=counts.failed,
        )

    def _context(self, spec: OperationSpec, stage: str) -> JobContext:
        pipeline = self.root.resolve().name
        if isinstance(spec, SortOperation):
            return JobContext(pipeline=pipeline, stage=stage, bundle_path="", bundle_files=())
        uploaded = self.upload.get()
        files = uploaded.bundle.files
        for script in _scripts(spec):
            require_script(files, stage, script)
        return JobContext(
            pipeline=pipeline,
            stage=stage,
            bundle_path=uploaded.path,
            bundle_files=files,
            secure_vault=self.secrets.vault(),
        )

    def _check_inputs(self, spec: OperationSpec) -> None:
        """A missing input is ``TableNotFound`` before anything starts, as in dev."""
        inputs: list[str] = list(getattr(spec, "input_table", None) or [])
        for path in inputs:
            if not self.yt.exists(path):
                raise TableNotFound(path, hint="an operation's input tables must exist")

    def _prepare_outputs(self, outputs: Sequence[str], *, append: bool) -> dict[str, int]:
        """Create missing outputs (YT needs them to exist); rows already there if appending."""
        before: dict[str, int] = {}
        for path in outputs:
            if self.yt.exists(path):
                before[path] = self._row_count(path) if append else 0
            else:
                self.yt.create("table", path, recursive=True)
                before[path] = 0
        return before

    def _row_count(self, path: str) -> int:
        return int(cast(Any, self.yt.get(f"{path}/@row_count")))

    def _start(self, operation_type: str, spec: dict[str, Any]) -> str:
        from yt.wrapper import driver  # noqa: PLC0415

        v4 = cast(Any, driver).get_api_version(self.yt) == "v4"
        started: Any = cast(Any, driver).make_formatted_request(
            "start_operation" if v4 else "start_op",
            {"operation_type": operation_type, "spec": spec},
            format=None,
            client=self.yt,
        )
        return str(started["operation_id"] if v4 else started)

    def _wait(self, operation_id: str, title: str) -> JobCounts:
        """Poll until the operation finishes; its counters, or the error if it did not complete."""
        url = operation_url(self.yt, operation_id)
        delay = POLL_FIRST_SECONDS
        with ProdProgress(title, url) as progress:
            try:
                while True:
                    described: Mapping[str, Any] = self.yt.get_operation(
                        operation_id, attributes=["state", "brief_progress", "result"]
                    )
                    state = str(described.get("state", ""))
                    brief: Mapping[str, Any] = described.get("brief_progress") or {}
                    counts = JobCounts.from_progress(brief.get("jobs"))
                    progress.update(state, counts)
                    if state in FINISHED:
                        break
                    time.sleep(delay)
                    delay = min(delay * 1.3, POLL_MAX_SECONDS)
            except KeyboardInterrupt:
                self._abort(operation_id)
                raise
        if state != "completed":
            result: Mapping[str, Any] = described.get("result") or {}
            raise operation_failure(
                self.yt,
                operation_id=operation_id,
                url=url,
                title=title,
                state=state,
                error=result.get("error"),
                mask=self.secrets.mask,
            )
        return counts

    def _abort(self, operation_id: str) -> None:
        from yt.wrapper.errors import YtError  # noqa: PLC0415

        # Finished meanwhile, or unreachable: the transaction's abort stops it too.
        with contextlib.suppress(YtError):
            self.yt.abort_operation(operation_id, reason="ytflow interrupted (Ctrl-C)")


def operation_url(yt: yt.wrapper.YtClient, operation_id: str) -> str:
    """The operation's page in the YT UI (the client's link pattern), else a plain form."""
    from yt.wrapper import operation_commands  # noqa: PLC0415

    url: str | None = cast(Any, operation_commands).get_operation_url(operation_id, client=yt)
    if url:
        return url
    config: Any = yt.config
    proxy = str(config["proxy"]["url"] or "")
    return f"{proxy}/operations/{operation_id}"


def to_yson(value: Any) -> Any:
    """``value`` with every ``Attributed`` turned into a YSON value with attributes."""
    if isinstance(value, Attributed):
        from yt import yson  # noqa: PLC0415

        return cast(Any, yson).to_yson_type(value.value, attributes=dict(value.attributes))
    if isinstance(value, Mapping):
        mapping = cast(Mapping[Any, Any], value)
        return {str(key): to_yson(item) for key, item in mapping.items()}
    if isinstance(value, list | tuple):
        return [to_yson(item) for item in cast(Sequence[Any], value)]
    return value


def _outputs(spec: OperationSpec) -> list[str]:
    match spec:
        case MapOperation() | ReduceOperation() | MapReduceOperation():
            return list(spec.output_table)
        case SortOperation():
            return [spec.output_table]
        case VanillaOperation():
            return []


def _scripts(spec: OperationSpec) -> list[str]:
    """The stage scripts a spec runs (a vanilla command is resolved by the spec builder)."""
    match spec:
        case MapOperation():
            return [spec.mapper]
        case ReduceOperation():
            return [spec.reducer]
        case MapReduceOperation():
            return [spec.mapper, spec.reducer]
        case SortOperation() | VanillaOperation():
            return []
