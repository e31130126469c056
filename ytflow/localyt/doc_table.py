"""The table of implemented HTTP commands in ``docs/local-yt.md``, generated from the registry.

Command modules register themselves, so the table is generated rather than written by hand,
and a test checks that the doc lists exactly the registered commands:

    python -m ytflow.localyt.doc_table                        # print the table
    python -m ytflow.localyt.doc_table --write docs/local-yt.md  # replace it in the doc
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

from ytflow.localyt.endpoint import COMMAND_MODULES
from ytflow.localyt.registry import COMMANDS, Command, all_commands

BEGIN = "<!-- commands:begin (python -m ytflow.localyt.doc_table --write docs/local-yt.md) -->"
END = "<!-- commands:end -->"
_BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
_AREAS = {
    "cypress_commands": "Cypress",
    "transaction_commands": "transactions",
    "table_commands": "tables",
    "file_commands": "files",
    "operation_commands": "operations",
    "job_commands": "jobs",
    "query_commands": "queries",
}


def _register() -> None:
    # What Endpoint() does: import every command module so its handlers register.
    for name in COMMAND_MODULES:
        importlib.import_module(f"ytflow.localyt.{name}")


def implemented() -> dict[str, Command]:
    """Every command with a handler of its own, after all command modules registered."""
    _register()
    return {name: spec for name, spec in sorted(COMMANDS.items()) if spec.handler is not None}


def not_implemented() -> list[str]:
    """YT commands local-yt lists in ``/api/v4`` but answers with an error naming them."""
    _register()
    return sorted(set(all_commands()) - set(COMMANDS))


def area(spec: Command) -> str:
    """What part of local-yt serves it, from the module that registered its handler."""
    module = getattr(spec.handler, "__module__", "").rsplit(".", 1)[-1]
    return _AREAS.get(module, module.removesuffix("_commands").replace("_", " "))


def markdown() -> str:
    """The block between the markers: the implemented commands, then the refused ones."""
    lines = [
        BEGIN,
        "| command | area | input | output | heavy |",
        "|---|---|---|---|---|",
    ]
    order = list(_AREAS.values())
    rows = sorted(
        implemented().items(),
        key=lambda item: (_rank(area(item[1]), order), area(item[1]), item[0]),
    )
    for name, spec in rows:
        heavy = "yes" if spec.is_heavy else ""
        lines.append(
            f"| `{name}` | {area(spec)} | {spec.input_type} | {spec.output_type} | {heavy} |"
        )
    refused = ", ".join(f"`{name}`" for name in not_implemented())
    lines += [
        "",
        f"Listed but answered with an error that names them: {refused}.",
        END,
    ]
    return "\n".join(lines)


def _rank(name: str, order: list[str]) -> int:
    return order.index(name) if name in order else len(order)


def documented(text: str) -> set[str]:
    """The commands the doc's table lists (its first column)."""
    match = _BLOCK.search(text)
    if match is None:
        return set()
    return set(re.findall(r"^\| `([a-z_]+)` \|", match.group(0), re.MULTILINE))


def rewrite(doc: Path) -> None:
    """Replace the table in ``doc`` (between the markers) with a fresh one."""
    text = doc.read_text(encoding="utf-8")
    if _BLOCK.search(text) is None:
        raise SystemExit(f"{doc} has no {BEGIN} ... {END} block to replace")
    doc.write_text(_BLOCK.sub(lambda _: markdown(), text), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ytflow.localyt.doc_table", description=__doc__)
    parser.add_argument("--write", type=Path, metavar="DOC", help="replace the table in DOC")
    args = parser.parse_args(argv)
    if args.write is None:
        sys.stdout.write(markdown() + "\n")
    else:
        rewrite(args.write)


if __name__ == "__main__":
    main()
