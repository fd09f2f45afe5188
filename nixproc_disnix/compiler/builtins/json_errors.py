"""The message Nix 2.8 gives for invalid JSON in ``fromJSON``: nlohmann::json's parse errors.

Python's parser finds *that* a text is invalid; this module finds what
nlohmann's recursive-descent parser would say about it, token by token:
``parse error at line L, column C: syntax error while parsing CONTEXT -
unexpected TOKEN; expected TOKEN`` (or the lexer's own complaint with
``last read: '...'``), where the column counts the characters read up to
and including the offending token. It runs only on texts already known to
be invalid.
"""
from __future__ import annotations

import re

_NAMES = {
    "true": "true literal", "false": "false literal", "null": "null literal", "string": "string literal",
    "number": "number literal", "[": "'['", "{": "'{'", "]": "']'", "}": "'}'", ":": "':'", ",": "','",
    "end": "end of input", "value": "'[', '{', or a literal",
}
_CONTROL_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class _LexerError(Exception):
    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


class _Syntax(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Reader:
    """nlohmann's lexer: tokens, the line/column of the last character read, and its ``token_string``.

    Every character read is appended to ``token_string``; only a string or a
    number starts it afresh (nlohmann's ``reset``), which is why an error
    after ``[1]`` shows ``last read: '1]x'``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.line = 1
        self.column = 0
        self.token_string = ""

    def _read(self) -> str:
        self.column += 1
        if self.index >= len(self.text):
            return ""
        char = self.text[self.index]
        self.index += 1
        self.token_string += char
        if char == "\n":
            self.line += 1
            self.column = 0
        return char

    def _error(self, message: str) -> _LexerError:
        return _LexerError(message, self.token_string)

    def next(self) -> str:
        """The next token's kind (a key of ``_NAMES``), raising :class:`_LexerError` on a bad token."""
        char = self._read()
        while char in (" ", "\t", "\n", "\r"):
            char = self._read()
        if char == "":
            return "end"
        if char in "[]{}:,":
            return char
        if char == '"':
            self.token_string = char
            return self._string()
        if char in "-0123456789":
            self.token_string = char
            return self._number()
        for word in ("true", "false", "null"):
            if char == word[0]:
                for expected in word[1:]:
                    if self._read() != expected:
                        raise self._error("invalid literal")
                return word
        raise self._error("invalid literal")

    def _string(self) -> str:
        while True:
            char = self._read()
            if char == "":
                raise self._error("invalid string: missing closing quote")
            if char == '"':
                return "string"
            if char == "\\":
                escape = self._read()
                if escape == "u":
                    for _ in range(4):
                        digit = self._read()
                        if digit == "" or digit not in "0123456789abcdefABCDEF":
                            raise self._error("invalid string: '\\u' must be followed by 4 hex digits")
                elif escape == "" or escape not in '"\\/bfnrt':
                    raise self._error("invalid string: forbidden character after backslash")
            elif ord(char) < 0x20:
                short = {"\n": " or \\n", "\t": " or \\t", "\r": " or \\r", "\b": " or \\b", "\f": " or \\f"}
                detail = (f"U+{ord(char):04X} ({_CONTROL_NAMES[ord(char)]}) must be escaped to "
                          f"\\u{ord(char):04X}{short.get(char, '')}")
                raise self._error(f"invalid string: control character {detail}")

    def _number(self) -> str:
        start = self.index - 1
        match = _NUMBER.match(self.text, start)
        end = match.end() if match else start + 1
        while self.index < end:
            self._read()
        following = self.text[end:end + 1]
        if match is None:
            self._read()
            raise self._error("invalid number; expected digit after '-'")
        if following == "." and match.group(2) is None:
            self._read()
            self._read()
            raise self._error("invalid number; expected digit after '.'")
        if following in ("e", "E") and match.group(3) is None:
            self._read()
            if self._read() in ("+", "-"):
                self._read()
                raise self._error("invalid number; expected digit after exponent sign")
            raise self._error("invalid number; expected '+', '-', or digit after exponent")
        return "number"


def _last_read(token: str) -> str:
    return "".join(f"<U+{ord(char):04X}>" if ord(char) < 0x20 else char for char in token)


def nlohmann_message(text: str) -> str:
    """The ``parse_error.101`` message nlohmann::json gives for the invalid JSON ``text``."""
    reader = _Reader(text)

    def fail(context: str, kind: str, expected: str) -> _Syntax:
        return _Syntax(f"syntax error while parsing {context} - unexpected {_NAMES[kind]}; expected {_NAMES[expected]}")

    def token(context: str, expected: str) -> str:
        try:
            return reader.next()
        except _LexerError as error:
            # In a value's place nlohmann names no expected token after a lexer error.
            wanted = "" if (context, expected) == ("value", "value") else f"; expected {_NAMES[expected]}"
            raise _Syntax(f"syntax error while parsing {context} - {error.message}; last read: "
                          f"'{_last_read(error.token)}'{wanted}") from None

    def value(kind: str) -> None:
        if kind == "{":
            kind = token("object key", "string")
            if kind == "}":
                return
            while True:
                if kind != "string":
                    raise fail("object key", kind, "string")
                kind = token("object separator", ":")
                if kind != ":":
                    raise fail("object separator", kind, ":")
                value(token("value", "value"))
                kind = token("object", "}")
                if kind == "}":
                    return
                if kind != ",":
                    raise fail("object", kind, "}")
                kind = token("object key", "string")
        elif kind == "[":
            kind = token("value", "value")
            if kind == "]":
                return
            while True:
                value(kind)
                kind = token("array", "]")
                if kind == "]":
                    return
                if kind != ",":
                    raise fail("array", kind, "]")
                kind = token("value", "value")
        elif kind not in ("string", "number", "true", "false", "null"):
            raise fail("value", kind, "value")

    try:
        value(token("value", "value"))
        kind = token("value", "end")
        if kind != "end":
            raise fail("value", kind, "end")
    except _Syntax as error:
        return f"parse error at line {reader.line}, column {reader.column}: {error.message}"
    return "parse error: syntax error"
