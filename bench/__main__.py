"""``python -m bench``: every workload and its baseline, side by side, in one run."""

from __future__ import annotations

import argparse
import os
import platform

from rich.console import Console
from rich.table import Table

from bench.measure import measure
from bench.sort_workloads import SORT_WORKLOADS
from bench.workloads import WORK_ROOT, WORKLOADS


def main() -> None:
    """Parse options, run the workloads, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per table (1M)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; median (3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 rows, 1 run")
    parser.add_argument(
        "--only", action="append", help="run only this workload key (W1, ...; S10 only so)"
    )
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    rows, repeat = (2_000, 1) if args.quick else (args.rows, max(3, args.repeat))
    work = WORK_ROOT / f"rows_{rows}"
    work.mkdir(parents=True, exist_ok=True)
    results: list[tuple[str, str, str, float, float, float, str]] = []
    for workload in [*WORKLOADS, *SORT_WORKLOADS]:
        if args.only and workload.key not in args.only:
            continue
        if workload.opt_in and not args.only:
            continue
        ytflow_command, baseline_command = workload.prepare(work, rows)
        ours = measure(ytflow_command, cwd=work, repeat=repeat)
        base = measure(baseline_command, cwd=work, repeat=repeat)
        results.append(
            (
                workload.key,
                workload.title,
                workload.target,
                ours.seconds,
                base.seconds,
                ours.peak_rss_mb,
                f"{ours.seconds / base.seconds:.2f}x",
            )
        )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    heading = f"{rows:,} rows, median of {repeat}, {machine}"
    if args.markdown:
        print(f"{heading}\n")
        print("| workload | target | ytflow s | baseline s | ratio | ytflow peak RSS MB |")
        print("|---|---|---|---|---|---|")
        for key, title, target, ours_s, base_s, rss, ratio in results:
            print(
                f"| {key} {title} | {target} | {ours_s:.3f} | {base_s:.3f} | {ratio} | {rss:.0f} |"
            )
        return
    table = Table(caption=heading, caption_justify="left")
    for column in ("workload", "target", "ytflow s", "baseline s", "ratio", "ytflow peak RSS MB"):
        table.add_column(column, justify="left" if column in {"workload", "target"} else "right")
    for key, title, target, ours_s, base_s, rss, ratio in results:
        table.add_row(
            f"{key} {title}", target, f"{ours_s:.3f}", f"{base_s:.3f}", ratio, f"{rss:.0f}"
        )
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
