"""Immutable data blobs under ``<root>/chunks``: written whole and synced before any node
refers to them, so a crash leaves a table's old chunk list or its new one, never half.

A table chunk is binary YSON (a list fragment of rows, strings as byte strings); a file chunk
is the file's bytes. Chunks nobody refers to are removed when the endpoint starts.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from ytflow.localyt.cypress_nodes import Chunk
from ytflow.localyt.yt_errors import YtLocalError

READ_BLOCK = 1 << 20


class ChunkStore:
    """Writes, reads and sweeps the blobs of one local-yt root."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "chunks"
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, chunk: Chunk) -> Path:
        return self.folder / chunk.id

    def write(self, blocks: Iterable[bytes], rows: int = 0) -> Chunk:
        """Write blocks to a new chunk; ``rows`` is recorded for table chunks."""
        chunk_id = uuid.uuid4().hex
        final = self.folder / chunk_id
        temporary = self.folder / f"{chunk_id}.tmp"
        size = 0
        try:
            with temporary.open("wb") as handle:
                for block in blocks:
                    handle.write(block)
                    size += len(block)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(final)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise YtLocalError(
                f"local-yt could not write a chunk under {self.folder}: {error}"
            ) from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return Chunk(id=chunk_id, rows=rows, size=size)

    def read(self, chunk: Chunk) -> Iterator[bytes]:
        with self.path(chunk).open("rb") as handle:
            while block := handle.read(READ_BLOCK):
                yield block

    def read_all(self, chunk: Chunk) -> bytes:
        return self.path(chunk).read_bytes()

    def sweep(self, keep: set[str]) -> int:
        """Remove chunks not in ``keep`` (and temps of killed writes); returns how many."""
        removed = 0
        for entry in self.folder.iterdir():
            if entry.name not in keep:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed
