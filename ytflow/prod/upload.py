"""The code bundle on the cluster: ``<build_folder>/bundle-<sha256>.tar.gz``, uploaded once.

The name is the archive's content hash, so a node already there with the archive's size *is*
this bundle: an unchanged pipeline re-runs without uploading a byte. A new bundle is written
inside a transaction, so nobody (a job, a concurrent run) ever sees it half-written; when two
runs upload the same bundle at once, the one that meets the other's lock waits for its commit
and then finds the bundle there. The archive is built outside the pipeline folder, in the
system's temp folder.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ytflow.bundle import Bundle, BundleSource
from ytflow.prod.op_errors import translate
from ytflow.prod.specs import bundle_path

if TYPE_CHECKING:
    import yt.wrapper

_logger = logging.getLogger("ytflow.operations")

LOCK_CONFLICT = 402  # YT's ConcurrentTransactionLockConflict: another run is uploading it
WAIT_FOR_OTHER_UPLOAD_SECONDS = 300.0


@dataclass(frozen=True)
class UploadedBundle:
    """A local bundle and the Cypress file it was uploaded to."""

    bundle: Bundle
    path: str


def bundle_cache_dir(root: Path) -> Path:
    """A build folder for ``root``'s bundle outside the pipeline (one per pipeline folder)."""
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "ytflow-bundles" / f"{root.resolve().name}-{key}"


class BundleUpload:
    """Builds the pipeline's bundle on first use and makes sure the cluster has it."""

    def __init__(
        self,
        yt: yt.wrapper.YtClient,
        *,
        root: Path,
        build_folder: str,
        upload_modules: Sequence[str] = (),
        upload_paths: Sequence[tuple[str, str]] = (),
        mask: Callable[[str], str] = str,
    ) -> None:
        self.yt = yt
        self.build_folder = build_folder
        self.source = BundleSource(
            root,
            output_dir=bundle_cache_dir(root),
            upload_modules=upload_modules,
            upload_paths=upload_paths,
        )
        self._mask = mask
        self._uploaded: UploadedBundle | None = None

    def get(self) -> UploadedBundle:
        """The uploaded bundle: built and uploaded on the first call, reused after."""
        if self._uploaded is None:
            bundle = self.source.get()
            target = bundle_path(self.build_folder, bundle.digest)
            self._ensure(bundle, target)
            self._uploaded = UploadedBundle(bundle, target)
        return self._uploaded

    def _ensure(self, bundle: Bundle, target: str) -> None:
        from yt.wrapper.errors import YtError  # noqa: PLC0415 - yt only in prod, lazily

        size = f"{len(bundle.files)} files, {bundle.size:,} bytes"
        deadline = time.monotonic() + WAIT_FOR_OTHER_UPLOAD_SECONDS
        delay = 0.1
        try:
            while True:
                if self._present(target, bundle.size):
                    _logger.info("code bundle up to date: %s (%s)", target, size)
                    return
                try:
                    self._write(bundle, target)
                except YtError as error:
                    # Another run is writing the same bundle: wait for its commit (or abort).
                    if not error.contains_code(LOCK_CONFLICT) or time.monotonic() > deadline:
                        raise
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                break
        except YtError as error:
            raise translate(error, f"uploading the code bundle to {target}", self._mask) from None
        _logger.info("code bundle uploaded: %s (%s)", target, size)

    def _write(self, bundle: Bundle, target: str) -> None:
        """Write the archive in a transaction: the node appears complete or not at all."""
        self.yt.create("map_node", self.build_folder, recursive=True, ignore_existing=True)
        with (
            self.yt.Transaction(attributes={"title": f"ytflow: upload {target}"}),
            bundle.archive.open("rb") as stream,
        ):
            self.yt.write_file(target, stream, compute_md5=True)

    def _present(self, target: str, size: int) -> bool:
        """True when the bundle's node exists with the archive's size (its name is its hash)."""
        if not self.yt.exists(target):
            return False
        return int(cast(Any, self.yt.get(f"{target}/@uncompressed_data_size"))) == size
