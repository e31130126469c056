"""The code bundle: the files a job sees, built once and shared by dev sandboxes and prod."""

from ytflow.bundle.archive import Bundle, build_bundle, extract_bundle, launcher_command
from ytflow.bundle.collect import LAUNCHER_NAME, collect_members

__all__ = [
    "LAUNCHER_NAME",
    "Bundle",
    "build_bundle",
    "collect_members",
    "extract_bundle",
    "launcher_command",
]
