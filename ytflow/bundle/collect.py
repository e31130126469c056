"""Decide which files go into the code bundle and under which member names.

The result is a sorted list of ``Member`` (name in the bundle, real source file, the setting
that put it there); ``archive`` turns it into bytes.
Keeping the choice separate from the packing lets errors name the config key that caused them
before a single byte is written.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import pathspec

from ytflow.bundle.walk import ALWAYS_EXCLUDED, always_excluded, walk_files
from ytflow.errors import ConfigError

LAUNCHER_NAME = "_ytflow_launch.py"
"""The launcher's file name at the bundle root; job commands run it."""

LAUNCHER_SOURCE = Path(__file__).with_name("launcher_script.py")
SECRETS_FILE = "configs/secrets.env"

# Only at the pipeline root: the dev artifacts folder.
_ROOT_EXCLUDED = pathspec.GitIgnoreSpec.from_lines(["/.dev/"])


@dataclass(frozen=True)
class Member:
    """One bundle file: where it comes from and which setting put it there."""

    name: str
    source: Path
    origin: str
    key: str | None = None


class Members:
    """Member names in insertion order; a name claimed twice by different files is an error."""

    def __init__(self, config_file: str | None = None) -> None:
        self._by_name: dict[str, Member] = {}
        self._config_file = config_file

    def add(self, member: Member) -> None:
        """Add ``member``; the same file under the same name twice is harmless and kept once."""
        existing = self._by_name.get(member.name)
        if existing is None:
            self._by_name[member.name] = member
            return
        if existing.source == member.source:
            return
        raise ConfigError(
            f"bundle file {member.name!r} would come from both {existing.origin} "
            f"({existing.source}) and {member.origin} ({member.source})",
            file=self._config_file if member.key or existing.key else None,
            key=member.key or existing.key,
            hint="give one of them another target, or exclude one in .ytignore",
        )

    def sorted(self) -> list[Member]:
        """All members, sorted by name (the archive order)."""
        return [self._by_name[name] for name in sorted(self._by_name)]


def collect_members(
    root: Path,
    *,
    upload_modules: Sequence[str],
    upload_paths: Sequence[tuple[str, str]],
    skip: Sequence[Path] = (),
    config_file: str | None = None,
) -> list[Member]:
    """Every member of the bundle of pipeline folder ``root``, sorted by name.

    ``skip`` holds real paths (files or folders) never to read, such as the build output folder.
    Errors about an ``upload_*`` entry name ``config_file``, the file that lists it.
    """
    root = root.resolve()
    secrets = (root / SECRETS_FILE).resolve()
    skipped = {secrets, *(path.resolve() for path in skip)}
    members = Members(config_file)
    members.add(Member(LAUNCHER_NAME, LAUNCHER_SOURCE.resolve(), "the ytflow launcher"))

    user_ignore = _load_ytignore(root)

    def pipeline_ignore(rel: str, is_dir: bool) -> bool:
        if rel == SECRETS_FILE:
            return True
        probe = f"{rel}/" if is_dir else rel
        return any(
            spec.match_file(probe) for spec in (ALWAYS_EXCLUDED, _ROOT_EXCLUDED, user_ignore)
        )

    for rel, source in walk_files(root, ignore=pipeline_ignore, confine=root, skip=skipped):
        members.add(Member(rel, source, "the pipeline folder"))

    for name, source in _module_files("ytjobs", skipped):
        members.add(Member(name, source, "ytjobs"))

    for index, module in enumerate(upload_modules):
        key = f"pipeline.upload_modules[{index}]"
        for name, source in _module_files(module, skipped, key=key, file=config_file):
            members.add(Member(name, source, f"{key} ({module!r})", key))

    for index, (source, target) in enumerate(upload_paths):
        key = f"pipeline.upload_paths[{index}]"
        for name, file in _upload_path_files(
            root, source, target, key=key, skip=skipped, secrets=secrets, file=config_file
        ):
            members.add(Member(name, file, key, f"{key}.target"))
    return members.sorted()


def _load_ytignore(root: Path) -> pathspec.GitIgnoreSpec:
    path = root / ".ytignore"
    if not path.is_file():
        return pathspec.GitIgnoreSpec.from_lines([])
    with path.open(encoding="utf-8") as stream:
        return pathspec.GitIgnoreSpec.from_lines(stream.read().splitlines())


def _module_files(
    module: str, skip: set[Path], *, key: str | None = None, file: str | None = None
) -> Iterator[tuple[str, Path]]:
    """Files of importable ``module`` as bundle members, found without importing it."""
    spec = _find_spec(module, key, file)
    prefix = "/".join(module.split(".")[:-1])
    prefix = f"{prefix}/" if prefix else ""
    locations = list(spec.submodule_search_locations or [])
    if locations:
        folder = f"{prefix}{module.rsplit('.', 1)[-1]}/"
        for location in locations:
            for rel, source in walk_files(
                Path(location), ignore=always_excluded, confine=None, skip=skip
            ):
                yield f"{folder}{rel}", source
        return
    origin = spec.origin
    if not spec.has_location or origin is None or not Path(origin).is_file():
        raise ConfigError(
            f"module {module!r} has no file to upload (it is {origin or 'not a file'})",
            file=file if key else None,
            key=key,
            hint="built-in modules are already in the job's interpreter; drop it from the list",
        )
    yield f"{prefix}{Path(origin).name}", Path(origin).resolve()


def _find_spec(module: str, key: str | None, file: str | None) -> importlib.machinery.ModuleSpec:
    # Top-level names go through importlib (which honours sys.modules and meta path finders);
    # submodules are looked up on their parent's search path so the parent is never imported.
    parts = module.split(".")
    spec: importlib.machinery.ModuleSpec | None = None
    try:
        if all(part.isidentifier() for part in parts):
            spec = importlib.util.find_spec(parts[0])
            for depth in range(1, len(parts)):
                search = None if spec is None else spec.submodule_search_locations
                if search is None:
                    spec = None
                    break
                spec = importlib.machinery.PathFinder.find_spec(
                    ".".join(parts[: depth + 1]), list(search)
                )
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ConfigError(
            f"module {module!r} cannot be found by the Python running ytflow",
            file=file if key else None,
            key=key,
            hint=(
                "is it installed in this interpreter, and spelled as you would import it "
                "(e.g. 'my_lib', not 'my-lib')?"
            ),
        )
    return spec


def _upload_path_files(
    root: Path,
    source: str,
    target: str,
    *,
    key: str,
    skip: set[Path],
    secrets: Path,
    file: str | None,
) -> Iterator[tuple[str, Path]]:
    """Files of one ``upload_paths`` entry, placed under ``target``; anything they link to goes."""
    parts = _target_parts(target, f"{key}.target", file)
    path = Path(source).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.exists():
        raise ConfigError(
            f"upload path {source!r} does not exist (looked for {path})",
            file=file,
            key=f"{key}.source",
            hint="paths are relative to the pipeline folder unless absolute",
        )
    real = path.resolve()
    if real == secrets:
        raise ConfigError(
            f"{SECRETS_FILE} is never put into the code bundle",
            file=file,
            key=f"{key}.source",
            hint="jobs get secrets through the secure vault: ytjobs.secrets.get(NAME)",
        )
    if real.is_dir():
        prefix = "".join(f"{part}/" for part in parts)
        for rel, found in walk_files(real, ignore=always_excluded, confine=None, skip=skip):
            yield f"{prefix}{rel}", found
        return
    if not parts:
        raise ConfigError(
            f"target {target!r} names the bundle root, but {source!r} is a file",
            file=file,
            key=f"{key}.target",
            hint="give the file's path inside the bundle, e.g. 'data/lookup.json'",
        )
    yield "/".join(parts), real


def _target_parts(target: str, key: str, file: str | None) -> tuple[str, ...]:
    if PurePosixPath(target).is_absolute() or PureWindowsPath(target).is_absolute():
        raise ConfigError(
            f"target {target!r} is absolute; it must be a path inside the bundle",
            file=file,
            key=key,
            hint="write it relative to the bundle root, e.g. 'lib/' or 'data/lookup.json'",
        )
    parts = tuple(part for part in target.replace("\\", "/").split("/") if part not in ("", "."))
    if ".." in parts:
        raise ConfigError(
            f"target {target!r} contains '..'; it must stay inside the bundle",
            file=file,
            key=key,
            hint="write it relative to the bundle root without '..'",
        )
    return parts
