"""A tour of `ytflow local-yt`, written only against `yt.wrapper` (nothing from ytflow).

Start the endpoint in one terminal, run this in another:

    ytflow local-yt --port 8000
    YT_PROXY=http://127.0.0.1:8000 python examples/local_yt/tour.py        # YSON (default)
    YT_PROXY=http://127.0.0.1:8000 python examples/local_yt/tour.py json   # JSON everywhere

Each step checks its result and the script exits non-zero on the first surprise. Run it
twice, or restart the endpoint in between: the second run finds `//tmp/tour/kept` again.
"""

from __future__ import annotations

import os
import sys
from collections import Counter

import yt.wrapper as yt  # noqa: TID251 - this script is a plain yt.wrapper user

ROOT = "//tmp/tour"


def make_client(flavor: str) -> yt.YtClient:
    config: dict[str, object] = {"pickling": {"python_binary": sys.executable}}
    if flavor == "json":
        config["structured_data_format"] = "json"
        config["tabular_data_format"] = yt.JsonFormat()
    return yt.YtClient(proxy=os.environ["YT_PROXY"], token="local", config=config)


def check(label: str, got: object, expected: object) -> None:
    if got != expected:
        raise SystemExit(f"{label}: expected {expected!r}, got {got!r}")
    print(f"ok  {label}")


def word_mapper(row: dict[str, str]):  # a Python-function job, pickled by the client
    for word in row["text"].split():
        yield {"word": word, "count": 1}


def count_reducer(key: dict[str, str], rows):
    yield {"word": key["word"], "count": sum(row["count"] for row in rows)}


def main(flavor: str) -> None:
    client = make_client(flavor)
    kept_before = client.exists(f"{ROOT}/kept") and list(client.read_table(f"{ROOT}/kept"))
    client.remove(ROOT, recursive=True, force=True)
    client.create("map_node", ROOT, recursive=True)

    # Tables: write, append, ranges and columns.
    table = f"{ROOT}/numbers"
    client.write_table(table, [{"n": n, "square": n * n} for n in range(10)])
    client.write_table(yt.TablePath(table, append=True), [{"n": 10, "square": 100}])
    check("row_count after append", client.row_count(table), 11)
    check(
        "range and columns", list(client.read_table(f"{table}{{n}}[#2:#4]")), [{"n": 2}, {"n": 3}]
    )

    # A transaction that aborts leaves nothing behind.
    try:
        with client.Transaction():
            client.write_table(f"{ROOT}/scratch", [{"x": 1}])
            raise RuntimeError("abort on purpose")
    except RuntimeError:
        pass
    check("aborted write is gone", client.exists(f"{ROOT}/scratch"), False)

    # Files.
    client.write_file(f"{ROOT}/greeting.txt", b"hello from a file\n")
    check(
        "file round trip", client.read_file(f"{ROOT}/greeting.txt").read(), b"hello from a file\n"
    )

    # A map with a shell command, reading a file dependency.
    client.run_map(
        'cat > /dev/null; cat greeting.txt | sed \'s/.*/{"line": "&"}/\'',
        table,
        f"{ROOT}/from_shell",
        format=yt.JsonFormat(),
        yt_files=[f"{ROOT}/greeting.txt"],
        spec={"job_count": 1},
    )
    check(
        "shell map", list(client.read_table(f"{ROOT}/from_shell")), [{"line": "hello from a file"}]
    )

    # Map with a Python function, sort, reduce: a word count.
    text = f"{ROOT}/text"
    client.write_table(text, [{"text": "to be or not to be"}, {"text": "be quick"}])
    client.run_map(word_mapper, text, f"{ROOT}/words")
    client.run_sort(f"{ROOT}/words", sort_by=["word"])
    client.run_reduce(count_reducer, f"{ROOT}/words", f"{ROOT}/counts", reduce_by=["word"])
    counts = {row["word"]: row["count"] for row in client.read_table(f"{ROOT}/counts")}
    check(
        "sort then reduce",
        counts,
        dict(Counter(["to", "be", "or", "not", "to", "be", "be", "quick"])),
    )

    # The same count as one map-reduce.
    client.run_map_reduce(word_mapper, count_reducer, text, f"{ROOT}/counts_mr", reduce_by=["word"])
    counts_mr = {row["word"]: row["count"] for row in client.read_table(f"{ROOT}/counts_mr")}
    check("map-reduce", counts_mr, counts)

    # A failing job: its stderr reaches the client's error.
    try:
        client.run_map(
            "echo tour-job-broke >&2; exit 3",
            table,
            f"{ROOT}/never",
            format=yt.JsonFormat(),
            spec={"max_failed_job_count": 1},
        )
    except yt.YtOperationFailedError as error:
        check("failed job stderr in error", "tour-job-broke" in str(error), True)
    else:
        raise SystemExit("a failing job did not fail the operation")
    check(
        "failed operation wrote nothing",
        client.exists(f"{ROOT}/never") and client.row_count(f"{ROOT}/never"),
        0,
    )

    # Vanilla: a task with no input.
    client.run_operation(
        yt.VanillaSpecBuilder()
        .begin_task("hello")
        .command("echo vanilla-ran >&2")
        .job_count(1)
        .end_task()
    )
    print("ok  vanilla")

    # YQL through the query tracker.
    query = client.run_query("yql", f"SELECT n, square FROM `{table}` WHERE n >= 9 ORDER BY n")
    rows = list(query.get_result(0).read_rows())
    check(
        "yql result",
        [dict(row) for row in rows],
        [{"n": 9, "square": 81}, {"n": 10, "square": 100}],
    )

    # Data that survives a restart of the endpoint.
    client.write_table(f"{ROOT}/kept", [{"kept": True}])
    if kept_before:
        check("kept across runs", kept_before, [{"kept": True}])
    print("tour complete")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "yson")
