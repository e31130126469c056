"""Operations on the cluster: upload the bundle, submit the spec, wait with progress, report.

(Stub: filled in by the operations work.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ytflow.client.job_secrets import JobSecrets
from ytflow.ops import OperationResult, OperationSpec

if TYPE_CHECKING:
    import yt.wrapper


class ProdOperations:
    """Runs ytflow operation configs as YT operations from the uploaded code bundle."""

    def __init__(
        self,
        yt: yt.wrapper.YtClient,
        *,
        root: Path,
        build_folder: str,
        secrets: JobSecrets,
        upload_modules: Sequence[str] = (),
        upload_paths: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.yt = yt
        self.root = root
        self.build_folder = build_folder
        self.secrets = secrets
        self._upload_modules = tuple(upload_modules)
        self._upload_paths = tuple(upload_paths)

    def run(self, spec: OperationSpec, stage: str | None) -> OperationResult:
        """Run ``spec`` (``stage`` is None only for sort, which runs no code)."""
        raise NotImplementedError
