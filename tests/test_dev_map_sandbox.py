"""Dev map operations end to end: the job sandbox, its environment and secrets, the code
bundle.

Every test writes a pipeline into ``tmp_path`` with a ``create`` stage that writes the input
table and a ``mapit`` stage that runs ``client.operations.map`` and records the
``OperationResult`` in ``//tmp/p/result``; the mapper is ``stages/mapit/src/mapper.py``.
Shared helpers live in ``dev_map_helpers.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import MakePipeline, read_dev_table, run_python
from dev_map_helpers import failed, map_config, map_pipeline, ok, run, sandbox

# --- the sandbox --------------------------------------------------------------------------


def test_sandbox_is_recreated_clean_holds_the_bundle_and_is_the_jobs_cwd(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import os
    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row({**row, "cwd": os.getcwd()})
    """
    root = map_pipeline(make_pipeline, mapper)
    box = sandbox(root)
    box.mkdir(parents=True)
    (box / "stray.txt").write_text("left over from an earlier run")

    ok(run(root))

    assert not (box / "stray.txt").exists()
    assert (box / "_ytflow_launch.py").is_file()
    assert (box / "stages/mapit/src/mapper.py").is_file()
    assert (box / "stages/create/stage.py").is_file()
    assert (box / "ytjobs/io.py").is_file()
    assert not (box / ".dev").exists()
    rows = read_dev_table(root, "output")
    assert [row["i"] for row in rows] == [0, 1, 2, 3, 4]
    assert {Path(row["cwd"]).resolve() for row in rows} == {box.resolve()}


def test_job_environment_is_clean_and_gets_config_path_and_secure_vault(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import os
    from ytjobs import secrets
    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row({"env": dict(os.environ), "secret": secrets.get("MY_API_KEY")})
    """
    token = "tok-AbCdEf-987654"
    root = map_pipeline(
        make_pipeline,
        mapper,
        rows='[{"i": 0}]',
        files={
            "configs/secrets.env": (
                f"YT_PROXY=proxy.example.net\nYT_TOKEN={token}\nMY_API_KEY=s3cret\n"
            )
        },
    )

    result = ok(run(root, env={"DRIVER_ONLY": "1"}))

    (row,) = read_dev_table(root, "output")
    env: dict[str, str] = row["env"]
    assert row["secret"] == "s3cret"
    assert env["YT_SECURE_VAULT_MY_API_KEY"] == "s3cret"
    assert "DRIVER_ONLY" not in env
    assert env["PATH"] == os.environ["PATH"]
    box = sandbox(root).resolve()
    assert Path(env["JOB_CONFIG_PATH"]).resolve() == box / "stages/mapit/config.yaml"
    assert not [key for key in env if "YT_TOKEN" in key or "YT_PROXY" in key]
    assert not [key for key, value in env.items() if token in value or "proxy.example" in value]
    assert not (box / "configs/secrets.env").exists()
    log = (root / ".dev/operation.log").read_text()
    for text in (log, result.stderr, result.stdout):
        assert "s3cret" not in text
        assert token not in text


def test_secret_printed_by_a_failing_job_is_masked_in_the_error(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import sys
    from ytjobs import secrets

    print("calling the API with key", secrets.get("MY_API_KEY"), file=sys.stderr)
    sys.exit(1)
    """
    root = map_pipeline(
        make_pipeline, mapper, files={"configs/secrets.env": "MY_API_KEY=s3cret-value\n"}
    )

    stderr = failed(run(root))

    assert "calling the API with key" in stderr
    assert "s3cret-value" not in stderr
    assert "s3cret-value" not in (root / ".dev/operation.log").read_text()


# --- the code bundle ----------------------------------------------------------------------


def test_mapper_importing_a_module_excluded_by_ytignore_fails_like_on_the_cluster(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    import local_only

    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row(row)
    """
    root = map_pipeline(
        make_pipeline,
        mapper,
        files={
            "stages/mapit/src/local_only.py": "VALUE = 1\n",
            ".ytignore": "local_only.py\n",
        },
    )

    stderr = failed(run(root))

    assert "job 0 exited with status 1" in stderr
    assert "ModuleNotFoundError: No module named 'local_only'" in stderr
    assert not (sandbox(root) / "stages/mapit/src/local_only.py").exists()
    assert not (root / ".dev/output.jsonl").exists()


def test_mapper_imports_a_helper_beside_it_and_a_package_at_the_pipeline_root(
    make_pipeline: MakePipeline,
) -> None:
    mapper = """
    from helper import double
    from shared.text import shout

    from ytjobs.io import read_rows, write_row

    for row in read_rows():
        write_row({"i": double(row["i"]), "s": shout("row")})
    """
    root = map_pipeline(
        make_pipeline,
        mapper,
        files={
            "stages/mapit/src/helper.py": "def double(x):\n    return 2 * x\n",
            "shared/__init__.py": "",
            "shared/text.py": "def shout(text):\n    return text.upper() + '!'\n",
        },
    )

    ok(run_python("pipeline.py", cwd=root))

    rows = read_dev_table(root, "output")
    assert rows == [{"i": 2 * i, "s": "ROW!"} for i in range(5)]


def test_missing_mapper_script_is_an_error_before_any_job_runs(
    make_pipeline: MakePipeline,
) -> None:
    root = map_pipeline(make_pipeline, config=map_config(mapper="src/no_such_mapper.py"))

    stderr = failed(run(root))

    assert "job script stages/mapit/src/no_such_mapper.py is not in the code bundle" in stderr
    assert "job 0" not in stderr
    assert not sandbox(root).exists()
    assert not (root / ".dev/output.jsonl").exists()
