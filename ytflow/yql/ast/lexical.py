"""Why sqlglot's tokenizer gave up on a script, named with its line: sqlglot reports only
"Error tokenizing" with the text, so the script is scanned again for what was never closed."""

from __future__ import annotations

from ytflow.errors import YqlError

_QUOTES = {"'": "'-quoted string", '"': '"-quoted string', "`": "`-quoted name"}


def unclosed(text: str) -> YqlError:
    """The first quote, raw string or comment of ``text`` that is never closed."""
    index, line = 0, 1
    while index < len(text):
        char = text[index]
        if char == "\n":
            line += 1
        elif text.startswith("--", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", index) or text.startswith("@@", index):
            closing = "*/" if char == "/" else "@@"
            end = text.find(closing, index + 2)
            if end < 0:
                shown = "/* comment" if char == "/" else "@@ raw string"
                return YqlError(f"{shown} is never closed", line=line)
            line += text.count("\n", index, end)
            index = end + 2
            continue
        elif char in _QUOTES:
            end = _closing(text, index, char)
            if end < 0:
                return YqlError(f"{_QUOTES[char]} is never closed", line=line)
            line += text.count("\n", index, end)
            index = end + 1
            continue
        index += 1
    return YqlError("YQL text not understood", line=None)


def _closing(text: str, start: int, quote: str) -> int:
    """Where the quote opened at ``start`` closes (a backslash escapes, a doubled quote too)."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            if text.startswith(quote * 2, index):
                index += 2
                continue
            return index
        index += 1
    return -1
