"""Values written in systemd's unit-file syntax (systemd.syntax(7), systemd.service(5) "Command lines").

A unit file is parsed line by line, so no value may contain a line break,
and every value systemd expands has two more layers: ``%`` starts a
specifier (``%%`` is a literal ``%``) and, in command lines only, ``$``
starts an environment variable (``$$`` is a literal ``$``). Words in
command lines and in ``Environment=`` are split at whitespace and unquoted
with C escapes (``\\n``, ``\\"``, ``\\\\``, ``\\xHH``), so a value that is not
plainly safe is written as one double-quoted word with those escapes.
"""
from __future__ import annotations

import re

from nixproc_disnix.errors import EvalError

_BARE_WORD = re.compile(r"[A-Za-z0-9_+=:,./@-]+")
"""Characters that mean nothing to systemd's word splitting, unquoting or expansion."""

_C_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}

COMMAND_PREFIXES = "@-:+!|"
"""Characters that, leading a command line's first word, change how systemd runs it."""


def text(value: str) -> str:
    """Human-readable text (a description) on one line: control characters become spaces."""
    return "".join(" " if _is_control(char) else char for char in value)


def _c_escaped(text: str) -> str:
    """``text`` with backslash, double quote and control characters as C escapes."""
    return "".join(
        _C_ESCAPES.get(char, f"\\x{ord(char):02x}" if ord(char) < 0x20 or ord(char) == 0x7F else char)
        for char in text
    )


def word(value: str, expands_variables: bool) -> str:
    """``value`` as one word of a command line (``expands_variables``) or of ``Environment=``.

    Safe values stay bare, as upstream writes them; anything else becomes a
    double-quoted word. ``%`` is always doubled; ``$`` only where systemd
    substitutes variables (``ExecStart=`` and friends, not ``Environment=``).
    """
    if _BARE_WORD.fullmatch(value):
        return value
    escaped = _c_escaped(value).replace("%", "%%")
    if expands_variables:
        escaped = escaped.replace("$", "$$")
    return f'"{escaped}"'


def command_line(executable: str, args: list[str], process_name: str) -> str:
    """``ExecStart=``'s value: the executable and each argument as a word.

    systemd takes the executable's path literally after unquoting (no
    variable substitution) and refuses quotes, backslashes and control
    characters in it, and a leading ``@-:+!|`` would be read as a prefix;
    such an executable cannot be written and is refused.
    """
    if (
        not executable
        or executable[0] in COMMAND_PREFIXES
        or any(char in executable for char in "\"'\\$")
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in executable)
    ):
        raise EvalError(
            f"executable {executable!r} of process '{process_name}' cannot be written in a systemd command line"
        )
    return " ".join(word(item, expands_variables=True) for item in (executable, *args))


def _is_control(char: str) -> bool:
    return (ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F


def line_value(value: str, what: str, process_name: str) -> str:
    """A value systemd reads verbatim to the end of the line, with ``%`` doubled.

    A line break would end the setting and start another, and a trailing
    backslash would continue the line into the next setting: both refused.
    """
    if any(_is_control(char) for char in value) or value.endswith("\\"):
        raise EvalError(f"{what} {value!r} of process '{process_name}' cannot be written on one line of a unit file")
    return value.replace("%", "%%")
