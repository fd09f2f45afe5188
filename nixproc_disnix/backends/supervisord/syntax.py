"""Values in supervisord's program-section syntax, so that supervisord reads back exactly what was meant.

A program file passes three readers before a value reaches the process:

1. Python's ``configparser`` (supervisord's ``UnhosedConfigParser``): a value
   ends at the line end (continuation lines are indented, their indentation
   and every line's outer whitespace stripped), a ``;`` or ``#`` after
   whitespace starts a comment, a line starting with ``;``/``#`` is one, and
   ``\\r`` counts as a line end;
2. ``%`` expansion (``%(program_name)s``, ``%(ENV_X)s``; ``%%`` is a ``%``),
   after ``%(here)s`` has been replaced everywhere (even after a ``%``);
3. for ``command=``, POSIX ``shlex.split``; for ``environment=``, a
   *non-POSIX* ``shlex`` that keeps quotes, has no escapes, and strips every
   quote character from both ends of a value.

``command=`` can carry any argument: single-quoted words may be closed and
reopened (``'a'';b'`` is ``a;b``) wherever a whitespace-``;`` pair, a line
break or ``%(here)s`` needs breaking up. ``environment=`` values have no
such escape: a value that supervisord cannot read back is refused with the
reason, never passed on changed.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from nixproc_disnix.errors import EvalError

CONTINUATION = "\n    "
"""A line break inside a value, followed by the indentation that marks the next line as its continuation."""

_COMMENT_AFTER_SPACE = re.compile(r"(?<=\s)(?=[;#])")
_UNSAFE_LINE_BREAK = re.compile(r"\n(?![ \t])")
_COMMENT = "';' or '#' after whitespace (supervisord reads a comment)"
_HERE = "'%(here)s' (supervisord replaces it even when escaped)"


def _unreadable(value: str) -> str | None:
    """Why ``value`` cannot be written at all, if it cannot."""
    if "\r" in value:
        return "a carriage return (supervisord reads it as a line end)"
    if "\0" in value:
        return "a NUL character"
    return None


def _first_problem(value: str, checks: Iterable[tuple[bool, str]]) -> str | None:
    """The first reason whose check failed, after the ones that apply to every value."""
    return _unreadable(value) or next((reason for failed, reason in checks if failed), None)


def command_line(words: Iterable[str], process_name: str) -> str:
    """A ``command=`` value whose ``shlex.split`` after supervisord's reading gives ``words``."""
    encoded = []
    for word in words:
        problem = _unreadable(word)
        if problem is not None:
            raise EvalError(f"an argument of supervisord program '{process_name}' contains {problem}")
        quoted = shlex.quote(word).replace("%", "%%").replace("%%(", "%%''(")
        encoded.append(_COMMENT_AFTER_SPACE.sub("''", quoted))
    # Line breaks only occur inside single quotes (shlex.quote quotes them), so
    # closing before and reopening after one keeps the stripped outer whitespace.
    return " ".join(encoded).replace("\n", "''" + CONTINUATION + "''")


def property_value(value: str, key: str, process_name: str) -> str:
    """A one-line property value (``directory=``, ``user=``, …) that expands back to ``value``."""
    problem = _first_problem(
        value,
        (
            ("\n" in value, "a line break"),
            (value != value.strip(), "leading or trailing whitespace (supervisord strips it)"),
            (_COMMENT_AFTER_SPACE.search(value) is not None, _COMMENT),
            ("%(here)s" in value, _HERE),
        ),
    )
    if problem is not None:
        raise EvalError(f"property '{key}' of supervisord program '{process_name}' contains {problem}")
    return value.replace("%", "%%")


def environment_value(value: str, variable: str, process_name: str) -> str:
    """A quoted ``environment=`` value that supervisord's parser reads back as ``value``."""
    lines = value.split("\n")
    problem = _first_problem(
        value,
        (
            (value[:1] in ("'", '"') or value[-1:] in ("'", '"'), "a quote at its start or end (supervisord strips them)"),
            ("'" in value and '"' in value, "both quote characters (supervisord has no escape for them)"),
            (_COMMENT_AFTER_SPACE.search(value) is not None, _COMMENT),
            ("%(here)s" in value, _HERE),
            (
                any(line != line.rstrip() for line in lines[:-1])
                or any(line[:1].isspace() or line[:1] in (";", "#") for line in lines[1:]),
                "a line that starts with whitespace, ';' or '#', or ends with whitespace (supervisord drops them)",
            ),
        ),
    )
    if problem is not None:
        raise EvalError(f"environment variable '{variable}' of supervisord program '{process_name}' contains {problem}")
    quote = "'" if '"' in value else '"'
    return quote + value.replace("%", "%%").replace("\n", CONTINUATION) + quote


def check_raw(value: str, key: str, process_name: str) -> None:
    """A value written as given must stay within its own property: a line break must start a continuation."""
    problem = _first_problem(
        value,
        ((_UNSAFE_LINE_BREAK.search(value) is not None, "a line break that does not start an indented continuation line"),),
    )
    if problem is not None:
        raise EvalError(f"property '{key}' of supervisord program '{process_name}' contains {problem}")
