"""The code bundle: the files a job sees, built once and shared by dev sandboxes and prod."""

from ytflow.bundle.archive import Bundle, BundleSource, build_bundle, extract_bundle
from ytflow.bundle.collect import LAUNCHER_NAME, collect_members
from ytflow.bundle.job_command import (
    launcher_command,
    require_script,
    script_member,
    shell_text,
    vanilla_command,
)

__all__ = [
    "LAUNCHER_NAME",
    "Bundle",
    "BundleSource",
    "build_bundle",
    "collect_members",
    "extract_bundle",
    "launcher_command",
    "require_script",
    "script_member",
    "shell_text",
    "vanilla_command",
]
