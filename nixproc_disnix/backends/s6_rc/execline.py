"""Values written for execline's lexer and for ``envfile`` (execline 2.9).

``execlineb`` splits a script into words at whitespace; a double-quoted
string is always exactly one word, in which ``\\"`` and ``\\\\`` stand for
themselves, ``\\n``/``\\t``/``\\r`` and ``\\0xHH`` for control characters. Nothing
else is special in a run script of ours: ``execlineb -P`` substitutes no
positional parameters and the scripts run no substitution command before
the values (``$`` stays literal). A word that is only ``{`` or ``}`` would
open or close a block, and ``#`` would start a comment, so such words are
quoted too.

``envfile`` reads ``NAME=value`` lines whose value may be double-quoted
with C escapes (``\\xHH``), which keeps leading and trailing whitespace,
``#`` and line breaks inside the value.
"""
from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_+=:,./@%-]+")
"""Characters with no meaning to execline's lexer or to envfile."""

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_EXECLINE_HEX = "\\0x%02x"
_C_HEX = "\\x%02x"


def _escaped(value: str, control: str) -> str:
    return "".join(
        _ESCAPES.get(char, control % ord(char) if ord(char) < 0x20 or ord(char) == 0x7F else char) for char in value
    )


def string(value: str) -> str:
    """``value`` as one double-quoted execline word, whatever it holds."""
    return '"' + _escaped(value, _EXECLINE_HEX) + '"'


def word(value: str) -> str:
    """``value`` as one execline word: bare when plainly safe, else a double-quoted string."""
    return value if _BARE.fullmatch(value) else string(value)


def envfile_value(value: str) -> str:
    """``value`` as the right-hand side of an envfile line: bare when plainly safe, else double-quoted."""
    return value if _BARE.fullmatch(value) else '"' + _escaped(value, _C_HEX) + '"'
