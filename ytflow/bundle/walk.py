"""Walk a folder for the bundle: name order, symlinks followed, and never out of bounds.

A symlink is stored as the file it points to (a job sandbox needs the content), so the walk
checks where each link leads: a dangling link or a loop is an error rather than a surprise on
the cluster, and inside the pipeline folder a link may not reach outside it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pathspec

from ytflow.errors import ConfigError

# Never worth shipping, wherever they appear: caches, VCS data, virtualenvs, build metadata.
ALWAYS_EXCLUDED = pathspec.GitIgnoreSpec.from_lines(
    [
        "__pycache__/",
        "*.pyc",
        "*.pyo",
        ".git/",
        ".venv/",
        "venv/",
        ".pytest_cache/",
        ".ruff_cache/",
        ".mypy_cache/",
        "*.egg-info/",
    ]
)
_OUTSIDE_HINT = (
    "copy the file into the pipeline folder, list it in pipeline.upload_paths, "
    "or exclude the link in .ytignore"
)

Ignore = Callable[[str, bool], bool]
"""``(relative posix path, is_dir) -> excluded?``"""


def always_excluded(rel: str, is_dir: bool) -> bool:
    """True for caches, VCS data and virtualenvs, which no bundle ever ships."""
    return ALWAYS_EXCLUDED.match_file(f"{rel}/" if is_dir else rel)


def walk_files(
    top: Path, *, ignore: Ignore, confine: Path | None, skip: set[Path]
) -> Iterator[tuple[str, Path]]:
    """Yield ``(relative posix name, real file)`` under ``top``, following symlinks.

    With ``confine`` set, a symlink resolving outside it is a ``ConfigError``; ``skip`` holds
    real paths left out silently. Entries come in name order so errors are reproducible.
    """
    yield from _walk(top.resolve(), "", ignore=ignore, confine=confine, skip=skip, stack=())


def _walk(
    directory: Path,
    prefix: str,
    *,
    ignore: Ignore,
    confine: Path | None,
    skip: set[Path],
    stack: tuple[Path, ...],
) -> Iterator[tuple[str, Path]]:
    stack = (*stack, directory)
    with os.scandir(directory) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        rel = f"{prefix}{entry.name}"
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()  # follows symlinks
        except OSError:  # a link loop; _check_link reports it unless ignored
            is_dir = False
        if ignore(rel, is_dir):
            continue
        real = _check_link(path, rel, confine) if entry.is_symlink() else path
        if real in skip:
            continue
        if is_dir:
            if real in stack:
                raise ConfigError(
                    f"symlink {rel!r} ({path}) loops back to its own parent folder {real}",
                    hint="remove the link or exclude it in .ytignore",
                )
            yield from _walk(
                real, f"{rel}/", ignore=ignore, confine=confine, skip=skip, stack=stack
            )
        elif entry.is_file():
            yield rel, real
        # Sockets, FIFOs and devices are not files a job could read: left out.


def _check_link(path: Path, rel: str, confine: Path | None) -> Path:
    """Where the link at ``path`` finally leads, refused if nowhere or out of bounds."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing target, or a link loop (RuntimeError before 3.13)
        real = None
    if real is None:
        raise ConfigError(
            f"symlink {rel!r} ({path} -> {path.readlink()}) leads nowhere: its target is "
            "missing or the links loop",
            hint="fix or remove the link, or exclude it in .ytignore",
        )
    if confine is not None and not real.is_relative_to(confine):
        raise ConfigError(
            f"symlink {rel!r} ({path}) points outside the pipeline folder, to {real}",
            hint=_OUTSIDE_HINT,
        )
    return real
