"""A YQL tokenizer: the first step of translating YQL faithfully, never by regex over text.

It knows YQL's lexical rules that SQL tokenizers get wrong: double-quoted strings are
strings (not identifiers), backticks quote identifiers and table paths, ``@@...@@`` is a raw
string, ``$name`` is a named expression, ``Module::Function`` is one call, and ``--`` and
``/* */`` are comments. Every token keeps its line, so errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ytflow.errors import YqlError


class Kind(Enum):
    """Token kinds."""

    WORD = "word"  # identifiers and keywords
    QUOTED = "quoted"  # `backticked identifier or path`
    STRING = "string"
    NUMBER = "number"
    PARAM = "param"  # $name
    SYMBOL = "symbol"  # operators and punctuation


@dataclass(frozen=True)
class Token:
    """One token; ``value`` is the decoded text for strings and quoted identifiers."""

    kind: Kind
    text: str
    value: str
    line: int

    def is_word(self, *words: str) -> bool:
        """True for an unquoted identifier equal (case-insensitively) to one of ``words``."""
        return self.kind is Kind.WORD and self.text.upper() in words

    def is_symbol(self, *symbols: str) -> bool:
        """True for one of the given operators or punctuation marks."""
        return self.kind is Kind.SYMBOL and self.text in symbols


_SYMBOLS = ("==", "!=", "<>", "<=", ">=", "<<", ">>", "||", "::", "??", "->", ":=")
_SINGLE = set("+-*/%<>=(),.;[]{}|&^~:!?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", "`": "`"}


def tokenize(text: str) -> list[Token]:  # noqa: PLR0912, PLR0915 - one dispatch per character class
    """Split YQL text into tokens; raises ``YqlError`` on an unterminated string or comment."""
    tokens: list[Token] = []
    position, line, length = 0, 1, len(text)
    while position < length:
        char = text[position]
        if char == "\n":
            line += 1
            position += 1
        elif char.isspace():
            position += 1
        elif text.startswith("--", position):
            end = text.find("\n", position)
            position = length if end < 0 else end
        elif text.startswith("/*", position):
            end = text.find("*/", position + 2)
            if end < 0:
                raise YqlError("a /* comment is never closed", line=line)
            line += text.count("\n", position, end)
            position = end + 2
        elif text.startswith("@@", position):
            end = text.find("@@", position + 2)
            if end < 0:
                raise YqlError("an @@raw string@@ is never closed", line=line)
            raw = text[position + 2 : end]
            tokens.append(Token(Kind.STRING, text[position : end + 2], raw, line))
            line += raw.count("\n")
            position = end + 2
        elif char in "'\"`":
            token, position = _quoted(text, position, line)
            tokens.append(token)
            line += token.text.count("\n")
        elif char == "$":
            end = _word_end(text, position + 1)
            if end == position + 1:
                raise YqlError("'$' must start a named expression such as $name", line=line)
            tokens.append(Token(Kind.PARAM, text[position:end], text[position + 1 : end], line))
            position = end
        elif char.isdigit() or (char == "." and text[position + 1 : position + 2].isdigit()):
            end = _number_end(text, position)
            tokens.append(Token(Kind.NUMBER, text[position:end], text[position:end], line))
            position = end
        elif char.isalpha() or char == "_":
            end = _word_end(text, position)
            tokens.append(Token(Kind.WORD, text[position:end], text[position:end], line))
            position = end
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, position)), None)
            if symbol is None:
                if char not in _SINGLE:
                    raise YqlError(f"unexpected character {char!r}", line=line)
                symbol = char
            tokens.append(Token(Kind.SYMBOL, symbol, symbol, line))
            position += len(symbol)
    return tokens


def _quoted(text: str, start: int, line: int) -> tuple[Token, int]:
    quote = text[start]
    decoded: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            following = text[position + 1]
            decoded.append(_ESCAPES.get(following, following))
            position += 2
            continue
        if char == quote:
            if quote == "`" and text.startswith("``", position):  # `` inside `...`
                decoded.append("`")
                position += 2
                continue
            position += 1
            kind = Kind.QUOTED if quote == "`" else Kind.STRING
            if kind is Kind.STRING and position < len(text) and text[position] in "uUsS":
                position += 1  # "abc"u (Utf8) and "abc"s (String) are plain strings here
            return Token(kind, text[start:position], "".join(decoded), line), position
        decoded.append(char)
        position += 1
    what = "identifier" if quote == "`" else "string"
    raise YqlError(f"a {quote}-quoted {what} is never closed", line=line)


def _word_end(text: str, position: int) -> int:
    while position < len(text) and (text[position].isalnum() or text[position] == "_"):
        position += 1
    return position


def _number_end(text: str, position: int) -> int:
    if text.startswith(("0x", "0X"), position):
        return _word_end(text, position + 2)
    while position < len(text) and (text[position].isdigit() or text[position] == "."):
        position += 1
    if position < len(text) and text[position] in "eE":
        exponent = position + 1
        if exponent < len(text) and text[exponent] in "+-":
            exponent += 1
        if exponent < len(text) and text[exponent].isdigit():
            position = exponent
            while position < len(text) and text[position].isdigit():
                position += 1
    return _word_end(text, position)  # keeps a type suffix such as 10u or 5l with the number
