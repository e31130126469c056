"""Which parameters each Cypress, table and file command understands.

A parameter local-yt would silently ignore could change what a cluster does (``lock_existing``,
``prerequisite_transaction_ids``...), so an unknown one is refused with an error that names it.
Parameters that only tune a real cluster's performance or retries (sync suppression, read
caches, mutation ids) are accepted everywhere: a single node has nothing to tune.
"""

from __future__ import annotations

from typing import Any

from ytflow.localyt.yt_errors import unsupported

HARMLESS = frozenset(
    {
        "suppress_transaction_coordinator_sync",
        "suppress_upstream_sync",
        "suppress_access_tracking",
        "suppress_modification_tracking",
        "suppress_expiration_timeout_renewal",
        "mutation_id",
        "retry",
        "trace_id",
        "read_from",
        "cache_sticky_group_size",
        "ping_ancestor_transactions",
        "transaction_id",
        "output_format",
        "return_only_value",
    }
)

_COPY = {
    "source_path",
    "destination_path",
    "recursive",
    "force",
    "ignore_existing",
    "preserve_account",
    "preserve_creation_time",
    "preserve_modification_time",
    "preserve_expiration_time",
    "preserve_expiration_timeout",
    "preserve_owner",
    "preserve_acl",
    "pessimistic_quota_check",
    "enable_cross_cell_copying",
}

# Commands not listed here check their own parameters (operation specs, queries).
KNOWN: dict[str, frozenset[str]] = {
    name: frozenset(params)
    for name, params in {
        "create": {
            "type",
            "path",
            "recursive",
            "ignore_existing",
            "force",
            "attributes",
            "ignore_type_mismatch",
        },
        "get": {"path", "attributes", "max_size"},
        "set": {"path", "recursive", "force", "input_format"},
        "multiset_attributes": {"path", "input_format"},
        "list": {"path", "attributes", "max_size"},
        "exists": {"path"},
        "remove": {"path", "recursive", "force"},
        "copy": _COPY,
        "move": _COPY,
        "lock": {"path", "mode", "waitable", "child_key", "attribute_key"},
        "start_transaction": {"type", "attributes", "timeout", "sticky", "deadline"},
        "start_tx": {"type", "attributes", "timeout", "sticky", "deadline"},
        "write_table": {"path", "input_format", "table_writer"},
        "read_table": {
            "path",
            "control_attributes",
            "unordered",
            "table_reader",
            "omit_inaccessible_columns",
            "omit_inaccessible_rows",
        },
        "write_file": {"path", "compute_md5", "file_writer"},
        "read_file": {"path", "offset", "length", "file_reader"},
        "get_file_from_cache": {"md5", "cache_path"},
        "put_file_to_cache": {"path", "md5", "cache_path", "preserve_expiration_timeout"},
    }.items()
}


def check_parameters(command: str, params: dict[str, Any]) -> None:
    """Refuse a parameter of ``command`` that local-yt would otherwise ignore."""
    known = KNOWN.get(command)
    if known is None:
        return
    unknown = sorted(set(params) - known - HARMLESS)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise unsupported(
            f"parameter {names} of the {command!r} command",
            "drop it, or run against a real cluster (docs/local-yt.md lists what is supported)",
        )
