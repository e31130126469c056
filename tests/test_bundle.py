"""The code bundle: what goes in, reproducible bytes, and the launcher jobs run through."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import ytjobs
from ytflow.bundle import (
    LAUNCHER_NAME,
    Bundle,
    build_bundle,
    extract_bundle,
    launcher_command,
)
from ytflow.bundle.collect import LAUNCHER_SOURCE
from ytflow.errors import ConfigError

YTJOBS_DIR = Path(ytjobs.__file__).parent
BASE_FILES = {
    "pipeline.py": "print('pipeline')\n",
    "configs/config.yaml": "pipeline:\n  mode: dev\n",
    "stages/s/config.yaml": "answer: 42\n",
    "stages/s/stage.py": "STAGE = 1\n",
}


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def make_pipeline(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return write_files(tmp_path / "pipe", {**BASE_FILES, **(extra or {})})


def build(
    root: Path,
    *,
    upload_modules: Sequence[str] = (),
    upload_paths: Sequence[tuple[str, str]] = (),
) -> Bundle:
    return build_bundle(
        root,
        output_dir=root.parent / "out",
        upload_modules=upload_modules,
        upload_paths=upload_paths,
    )


def user_files(bundle: Bundle) -> set[str]:
    return {
        name for name in bundle.files if not name.startswith("ytjobs/") and name != LAUNCHER_NAME
    }


# --- what goes in -------------------------------------------------------------------------


@pytest.mark.parametrize("ytignore", ["", "!configs/secrets.env\n!.dev/\n!__pycache__/\n"])
def test_secrets_dev_artifacts_and_caches_never_go_in(tmp_path: Path, ytignore: str) -> None:
    root = make_pipeline(
        tmp_path,
        {
            ".ytignore": ytignore,
            "configs/secrets.env": "YT_TOKEN=zz-token-value\n",
            ".dev/data.jsonl": "{}\n",
            ".git/HEAD": "ref\n",
            ".venv/bin/python": "",
            "stages/s/src/__pycache__/mapper.cpython-311.pyc": "",
            "stages/s/src/mapper.py": "",
            "stages/s/src/old.pyc": "",
            ".pytest_cache/x": "",
            ".ruff_cache/x": "",
            ".mypy_cache/x": "",
            "my_pkg.egg-info/PKG-INFO": "",
        },
    )
    bundle = build(root)
    assert user_files(bundle) == {
        ".ytignore",
        *BASE_FILES,
        "stages/s/src/mapper.py",
    }
    with tarfile.open(bundle.archive) as tar:
        assert b"zz-token-value" not in b"".join(
            tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
        )


def test_ytignore_excludes_with_gitignore_syntax(tmp_path: Path) -> None:
    root = make_pipeline(
        tmp_path,
        {
            ".ytignore": "# comment\ndata/\n*.csv\n!keep.csv\n/top_only.txt\n",
            "data/big.jsonl": "",
            "stages/s/data/nested.txt": "",
            "a.csv": "",
            "stages/s/b.csv": "",
            "keep.csv": "",
            "top_only.txt": "",
            "stages/s/top_only.txt": "",
        },
    )
    assert user_files(build(root)) == {
        ".ytignore",
        *BASE_FILES,
        "keep.csv",
        "stages/s/top_only.txt",
    }


def test_ytjobs_is_included_without_caches(tmp_path: Path) -> None:
    bundle = build(make_pipeline(tmp_path))
    expected = {
        f"ytjobs/{path.relative_to(YTJOBS_DIR).as_posix()}"
        for path in YTJOBS_DIR.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {name for name in bundle.files if name.startswith("ytjobs/")} == expected
    assert LAUNCHER_NAME in bundle.files
    assert list(bundle.files) == sorted(bundle.files)


def test_upload_modules_add_packages_and_single_modules_without_importing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = write_files(
        tmp_path / "site",
        {
            "zz_bundle_pkg/__init__.py": "raise RuntimeError('must not be imported')\n",
            "zz_bundle_pkg/core.py": "X = 1\n",
            "zz_bundle_pkg/sub/__init__.py": "",
            "zz_bundle_pkg/sub/leaf.py": "",
            "zz_bundle_pkg/__pycache__/core.cpython-311.pyc": "",
            "zz_bundle_mod.py": "Y = 2\n",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    bundle = build(
        make_pipeline(tmp_path), upload_modules=["zz_bundle_pkg", "zz_bundle_mod", "ytjobs"]
    )
    assert {
        "zz_bundle_pkg/__init__.py",
        "zz_bundle_pkg/core.py",
        "zz_bundle_pkg/sub/__init__.py",
        "zz_bundle_pkg/sub/leaf.py",
        "zz_bundle_mod.py",
    } <= set(bundle.files)
    assert not any("__pycache__" in name for name in bundle.files)
    assert "zz_bundle_pkg" not in sys.modules

    dotted = build(make_pipeline(tmp_path), upload_modules=["zz_bundle_pkg.sub"])
    assert {"zz_bundle_pkg/sub/__init__.py", "zz_bundle_pkg/sub/leaf.py"} <= set(dotted.files)
    assert "zz_bundle_pkg/core.py" not in dotted.files
    assert "zz_bundle_pkg" not in sys.modules


def test_upload_paths_place_files_and_folders_at_their_targets(tmp_path: Path) -> None:
    outside = write_files(
        tmp_path / "shared",
        {"lookup.json": "{}", "lib/a.py": "", "lib/pkg/b.py": "", "lib/__pycache__/a.pyc": ""},
    )
    root = make_pipeline(tmp_path, {"extra/notes.txt": "n"})
    bundle = build(
        root,
        upload_paths=[
            (str(outside / "lookup.json"), "data/lookup.json"),
            ("../shared/lib", "vendor/lib/"),
            ("extra", "./more"),
        ],
    )
    assert {
        "data/lookup.json",
        "vendor/lib/a.py",
        "vendor/lib/pkg/b.py",
        "more/notes.txt",
        "extra/notes.txt",
    } <= set(bundle.files)
    assert "vendor/lib/__pycache__/a.pyc" not in bundle.files


def test_symlinks_inside_the_pipeline_store_the_target_content(tmp_path: Path) -> None:
    root = make_pipeline(tmp_path, {"real/data.txt": "linked content"})
    (root / "alias.txt").symlink_to(root / "real" / "data.txt")
    (root / "alias_dir").symlink_to(root / "real", target_is_directory=True)
    target = tmp_path / "x"
    extract_bundle(build(root), target)
    assert (target / "alias.txt").read_text() == "linked content"
    assert not (target / "alias.txt").is_symlink()
    assert (target / "alias_dir" / "data.txt").read_text() == "linked content"


def test_a_symlink_leaving_the_pipeline_is_allowed_only_through_upload_paths(
    tmp_path: Path,
) -> None:
    outside = write_files(tmp_path / "elsewhere", {"f.txt": "outside"})
    linked = write_files(tmp_path / "linked", {"g.txt": ""})
    (linked / "to_outside.txt").symlink_to(outside / "f.txt")
    root = make_pipeline(tmp_path)
    bundle = build(root, upload_paths=[(str(linked), "linked")])
    assert "linked/to_outside.txt" in bundle.files

    (root / "escape.txt").symlink_to(outside / "f.txt")
    with pytest.raises(ConfigError, match=r"escape\.txt.*outside the pipeline folder"):
        build(root)
    (root / ".ytignore").write_text("escape.txt\n")
    assert "escape.txt" not in build(root).files


@pytest.mark.parametrize(
    ("link", "target", "message"),
    [
        ("gone", "missing.txt", r"'gone'.*leads nowhere"),
        ("self", "self", r"'self'.*leads nowhere"),
        ("stages/up", ".", r"'stages/up'.*loops back"),
    ],
)
def test_dangling_and_looping_symlinks_are_refused(
    tmp_path: Path, link: str, target: str, message: str
) -> None:
    root = make_pipeline(tmp_path)
    (root / link).symlink_to((root / target).absolute())
    with pytest.raises(ConfigError, match=message):
        build(root)


@pytest.mark.parametrize(
    ("kwargs", "key", "culprit"),
    [
        ({"upload_modules": ["ytjobs", "no_such_module_zz"]}, "upload_modules[1]", "no_such"),
        ({"upload_modules": ["ytjobs.no_such_sub"]}, "upload_modules[0]", "ytjobs.no_such_sub"),
        ({"upload_paths": [("missing.txt", "m.txt")]}, "upload_paths[0].source", "missing.txt"),
        ({"upload_paths": [("lib", "../x")]}, "upload_paths[0].target", "'../x'"),
        ({"upload_paths": [("lib", "/abs/x")]}, "upload_paths[0].target", "'/abs/x'"),
        (
            {"upload_paths": [("lib/a.py", "same.py"), ("lib/b.py", "same.py")]},
            "upload_paths[1].target",
            "upload_paths[0]",
        ),
        (
            {"upload_paths": [("lib/a.py", "pipeline.py")]},
            "upload_paths[0].target",
            "pipeline folder",
        ),
        ({"upload_paths": [("configs/secrets.env", "s.env")]}, "upload_paths[0].source", "secret"),
    ],
)
def test_bad_settings_raise_config_errors_naming_the_key(
    tmp_path: Path, kwargs: dict[str, Any], key: str, culprit: str
) -> None:
    root = make_pipeline(
        tmp_path, {"lib/a.py": "A\n", "lib/b.py": "B\n", "configs/secrets.env": "K=v\n"}
    )
    with pytest.raises(ConfigError) as caught:
        build(root, **kwargs)
    assert caught.value.key == f"pipeline.{key}"
    assert culprit in str(caught.value)
    assert caught.value.hint


def test_unknown_module_error_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no_such_module_zz") as caught:
        build(make_pipeline(tmp_path), upload_modules=["no_such_module_zz"])
    assert "installed" in str(caught.value)


# --- reproducible bytes -------------------------------------------------------------------


def test_builds_are_byte_identical_and_content_decides_the_digest(tmp_path: Path) -> None:
    root = make_pipeline(tmp_path, {"stages/s/src/mapper.py": "print(1)\n"})
    first = build_bundle(root, output_dir=tmp_path / "a")
    second = build_bundle(root, output_dir=tmp_path / "b")
    assert first.archive.read_bytes() == second.archive.read_bytes()
    assert first.digest == second.digest
    assert first.archive.name == f"bundle-{first.digest[:16]}.tar.gz"
    assert first.size == first.archive.stat().st_size

    os.utime(root / "pipeline.py", (1_000_000, 1_000_000))
    assert build_bundle(root, output_dir=tmp_path / "c").digest == first.digest

    moved = root.rename(tmp_path / "moved")
    assert build_bundle(moved, output_dir=tmp_path / "d").digest == first.digest

    (moved / "stages/s/src/mapper.py").write_text("print(2)\n")
    assert build_bundle(moved, output_dir=tmp_path / "e").digest != first.digest


def test_archive_metadata_is_normalized(tmp_path: Path) -> None:
    root = make_pipeline(tmp_path, {"run.sh": "#!/bin/sh\n"})
    (root / "run.sh").chmod(0o700)
    (root / "pipeline.py").chmod(0o600)
    bundle = build(root)
    with tarfile.open(bundle.archive) as tar:
        members = tar.getmembers()
    assert [member.name for member in members] == list(bundle.files)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {
        (315532800, 0, 0, "", "")
    }
    modes = {member.name: member.mode for member in members}
    assert modes["run.sh"] == 0o755
    assert modes["pipeline.py"] == 0o644
    assert bundle.archive.read_bytes()[4:8] == b"\0\0\0\0"  # gzip header mtime


def test_an_existing_archive_with_the_same_digest_is_reused(tmp_path: Path) -> None:
    root = make_pipeline(tmp_path)
    first = build(root)
    os.utime(first.archive, ns=(1_000_000_000, 1_000_000_000))
    second = build(root)
    assert second == first
    assert second.archive.stat().st_mtime_ns == 1_000_000_000
    assert [path.name for path in second.archive.parent.iterdir()] == [first.archive.name]


def test_the_output_folder_inside_the_pipeline_is_not_bundled(tmp_path: Path) -> None:
    root = make_pipeline(tmp_path)
    first = build_bundle(root, output_dir=root / "build")
    second = build_bundle(root, output_dir=root / "build")
    assert second.digest == first.digest
    assert not any(name.startswith("build/") for name in second.files)


def test_extract_replaces_the_target_folder(tmp_path: Path) -> None:
    bundle = build(make_pipeline(tmp_path))
    target = write_files(tmp_path / "sandbox", {"stale.txt": "old"})
    extract_bundle(bundle, target)
    extracted = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert extracted == set(bundle.files)


# --- the launcher -------------------------------------------------------------------------

MAPPER = """\
import json
import sys

import helper
from lib.util import f
from ytjobs.config import get_config_path

for line in sys.stdin:
    row = json.loads(line)
    out = {"x": row["x"], "y": f(row["x"]), "h": helper.H, "config": str(get_config_path())}
    print(json.dumps(out))
"""

PROBE = """\
import os
import subprocess
import sys

import ytjobs

print(sys.argv[1:])
print(ytjobs.__file__)
print("ytflow" in sys.modules)
child = subprocess.run([sys.executable, "-c", "import lib.util"], check=False)
print(child.returncode)
"""


def job_bundle(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    root = make_pipeline(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/util.py": "def f(x):\n    return x * 10\n",
            "stages/s/src/helper.py": "H = 'helper'\n",
            "stages/s/src/mapper.py": MAPPER,
            **(extra or {}),
        },
    )
    sandbox = tmp_path / "sandbox"
    extract_bundle(build(root), sandbox)
    return sandbox


def run_job(
    sandbox: Path,
    script: str,
    *args: str,
    python: Sequence[str] = (),
    stdin: str = "",
    env: dict[str, str] | None = None,
    pass_fds: Sequence[int] = (),
) -> subprocess.CompletedProcess[str]:
    """Run a job the way dev does: cwd at the extracted bundle, a near-empty environment."""
    command = launcher_command("s", script)
    if python:
        command[:1] = python
    return subprocess.run(
        [*command, *args],
        cwd=sandbox,
        env={"PATH": os.environ["PATH"], **(env or {})},
        input=stdin,
        pass_fds=pass_fds,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_launcher_command_runs_the_stage_script_from_the_bundle_root() -> None:
    assert launcher_command("s", "src/mapper.py", python="py") == [
        "py",
        LAUNCHER_NAME,
        "s",
        "src/mapper.py",
    ]


def test_a_mapper_imports_its_folder_the_bundle_root_and_ytjobs(tmp_path: Path) -> None:
    sandbox = job_bundle(tmp_path)
    result = run_job(sandbox, "src/mapper.py", stdin='{"x": 1}\n{"x": 2}\n')
    assert result.returncode == 0, result.stderr
    config = str((sandbox / "stages/s/config.yaml").resolve())
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"x": 1, "y": 10, "h": "helper", "config": config},
        {"x": 2, "y": 20, "h": "helper", "config": config},
    ]


def test_job_sees_argv_bundle_ytjobs_and_children_import_the_bundle(tmp_path: Path) -> None:
    sandbox = job_bundle(tmp_path, {"stages/s/src/probe.py": PROBE})
    # -S -E: no site-packages, so the launcher could not import ytflow even if it tried.
    result = run_job(sandbox, "src/probe.py", "a", "b", python=[sys.executable, "-S", "-E"])
    assert result.returncode == 0, result.stderr
    argv, ytjobs_file, ytflow_loaded, child = result.stdout.splitlines()
    assert argv == "['a', 'b']"
    assert Path(ytjobs_file).resolve() == (sandbox / "ytjobs/__init__.py").resolve()
    assert ytflow_loaded == "False"
    assert child == "0"


def test_the_launcher_source_imports_only_the_standard_library() -> None:
    tree = ast.parse(LAUNCHER_SOURCE.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in sys.stdlib_module_names, name


def test_a_module_excluded_by_ytignore_fails_to_import_as_on_the_cluster(
    tmp_path: Path,
) -> None:
    sandbox = job_bundle(
        tmp_path,
        {
            ".ytignore": "lib/zz_local_only.py\n",
            "lib/zz_local_only.py": "X = 1\n",
            "stages/s/src/uses_it.py": "from lib import zz_local_only\n",
        },
    )
    result = run_job(sandbox, "src/uses_it.py")
    assert result.returncode == 1
    assert "ImportError" in result.stderr or "ModuleNotFoundError" in result.stderr
    assert "zz_local_only" in result.stderr


def test_a_missing_script_exits_2_naming_it(tmp_path: Path) -> None:
    result = run_job(job_bundle(tmp_path), "src/nope.py")
    assert result.returncode == 2
    assert "stages/s/src/nope.py" in result.stderr
    assert result.stdout == ""


def test_sys_exit_status_propagates(tmp_path: Path) -> None:
    sandbox = job_bundle(tmp_path, {"stages/s/src/exit3.py": "import sys\nsys.exit(3)\n"})
    assert run_job(sandbox, "src/exit3.py").returncode == 3


def test_fd_map_gives_the_job_the_descriptors_dev_passes(tmp_path: Path) -> None:
    script = """\
    import os
    import sys

    os.write(4, b"table 1\\n")
    try:
        os.fstat(int(sys.argv[1]))
    except OSError:
        print("source closed")
    print(os.environ.get("YTFLOW_FD_MAP"))
    """
    sandbox = job_bundle(tmp_path, {"stages/s/src/fds.py": script})
    output = tmp_path / "table1.jsonl"
    with output.open("wb") as stream:
        fd = stream.fileno()
        result = run_job(
            sandbox, "src/fds.py", str(fd), env={"YTFLOW_FD_MAP": f"4:{fd}"}, pass_fds=(fd,)
        )
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == b"table 1\n"
    assert result.stdout.splitlines() == ["source closed", "None"]


def test_a_killed_builders_temp_archive_is_removed_by_the_next_build(tmp_path: Path) -> None:
    import fcntl  # noqa: PLC0415 - Unix only, as the sweep is

    root = make_pipeline(tmp_path)
    out = root.parent / "out"
    out.mkdir()
    dead = out / ".bundle-dead.tmp"  # nobody holds its lock: its builder died
    dead.write_bytes(b"partial archive")
    alive = out / ".bundle-alive.tmp"
    alive.write_bytes(b"being written")
    with alive.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # a live builder's lock
        bundle = build(root)
        names = sorted(path.name for path in out.iterdir())
    assert names == sorted([".bundle-alive.tmp", bundle.archive.name])
    build(root)
    assert [path.name for path in out.iterdir()] == [bundle.archive.name]
