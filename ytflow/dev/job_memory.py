"""How much memory a job's process tree holds, on Linux (``/proc``) and elsewhere (``ps``).

YT limits a job's whole tree, so dev sums the resident memory of the job and every
descendant. ``/proc`` is read when it exists (cheap: every poll); otherwise, as on macOS,
``ps`` lists every process once per check (slower: checked less often). Where neither
works, a memory limit cannot be enforced and ``can_measure`` says so before any job starts.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
PROC_POLL_SECONDS = 0.05
PS_POLL_SECONDS = 0.5


def tree_rss(pid: int) -> tuple[int, float] | None:
    """Resident bytes of ``pid`` and its descendants, and how long to wait before asking again.

    None when this machine offers no way to measure it.
    """
    used = proc_tree_rss(pid)
    if used is not None:
        return used, PROC_POLL_SECONDS
    used = ps_tree_rss(pid)
    if used is not None:
        return used, PS_POLL_SECONDS
    return None


def can_measure() -> bool:
    """Whether ``tree_rss`` works here (it measures this very process to find out)."""
    return tree_rss(os.getpid()) is not None


def proc_tree_rss(pid: int) -> int | None:
    """The tree's resident bytes from ``/proc`` (Linux); None without ``/proc``."""
    if not Path(f"/proc/{os.getpid()}/statm").is_file():
        return None
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            resident = int(Path(f"/proc/{current}/statm").read_text().split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError, ValueError):
            continue  # the process has just exited
        total += resident * _PAGE_SIZE
        pending.extend(int(child) for child in children)
    return total


def ps_tree_rss(pid: int) -> int | None:
    """The tree's resident bytes from POSIX ``ps`` (macOS, BSD); None if ``ps`` fails."""
    try:
        listing = subprocess.run(
            ["ps", "-A", "-o", "pid=,ppid=,rss="],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    children: dict[int, list[int]] = {}
    resident: dict[int, int] = {}
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) != 3 or not all(field.isdigit() for field in fields):
            continue
        child, parent, kib = map(int, fields)
        children.setdefault(parent, []).append(child)
        resident[child] = kib * 1024
    if pid not in resident:
        return 0
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        total += resident.get(current, 0)
        pending.extend(children.get(current, ()))
    return total
