"""``match`` and ``split``: POSIX extended regular expressions as Nix 2.8 runs them
(libstdc++ ``std::regex`` with ``std::regex::extended``), translated to Python ``re``.

POSIX matching is leftmost-longest, Python's is leftmost-first; the start of a
match is the same, and the longest end is found by trying anchored full matches.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ...errors import EvalError
from . import primop

_CLASSES = {
    "alpha": r"a-zA-Z", "digit": r"0-9", "alnum": r"0-9a-zA-Z", "upper": r"A-Z", "lower": r"a-z",
    "space": r" \t\n\r\x0b\x0c", "blank": r" \t", "punct": r"!-/:-@\[-`{-~", "print": r" -~",
    "graph": r"!-~", "cntrl": r"\x00-\x1f\x7f", "xdigit": r"0-9A-Fa-f", "w": r"0-9a-zA-Z_",
    "s": r" \t\n\r\x0b\x0c", "d": r"0-9",
}
_SPECIAL = set("^$\\.*+?()[]{}|")


class _Invalid(Exception):
    pass


def _lit(c: str) -> str:
    return "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c)


def _bracket(p: str, i: int) -> tuple[str, int]:
    """Translate the bracket expression starting after ``[`` at ``i``."""
    out = ["["]
    n = len(p)
    if i < n and p[i] == "^":
        out.append("^")
        i += 1
    first = True
    items: list[str] = []  # each a single literal char or a class body
    while True:
        if i >= n:
            raise _Invalid()
        c = p[i]
        if c == "]" and not first:
            i += 1
            break
        first = False
        if c == "[" and i + 1 < n and p[i + 1] in ":=.":
            kind = p[i + 1]
            end = p.find(kind + "]", i + 2)
            if end < 0:
                raise _Invalid()
            name = p[i + 2:end]
            i = end + 2
            if kind == ":":
                if name not in _CLASSES:
                    raise _Invalid()
                items.append(("class", _CLASSES[name]))
            else:
                if len(name) != 1:
                    raise _Invalid()
                items.append(("char", name))
            continue
        items.append(("char", c))
        i += 1
    # ranges
    j = 0
    parts: list[str] = []
    while j < len(items):
        kind, val = items[j]
        if (kind == "char" and j + 2 < len(items) and items[j + 1] == ("char", "-")
                and items[j + 2][0] == "char"):
            lo, hi = val, items[j + 2][1]
            if ord(lo) > ord(hi):
                raise _Invalid()
            parts.append(_lit(lo) + "-" + _lit(hi))
            j += 3
            if j + 1 < len(items) and items[j] == ("char", "-"):
                raise _Invalid()  # a range cannot start where another ends
            continue
        parts.append(val if kind == "class" else _lit(val))
        j += 1
    out.extend(parts)
    out.append("]")
    return "".join(out), i


def translate(p: str, end_anchor: str = r"\Z") -> str:
    out: list[str] = []
    i = 0
    n = len(p)
    depth = 0
    prev_atom = False  # whether a quantifier may follow
    atom_start = 0
    open_groups: list[int] = []
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                raise _Invalid()
            d = p[i + 1]
            if d not in _SPECIAL:
                raise _Invalid()
            atom_start = len(out)
            out.append(_lit(d))
            i += 2
            prev_atom = True
        elif c == "[":
            s, i = _bracket(p, i + 1)
            atom_start = len(out)
            out.append(s)
            prev_atom = True
        elif c == "(":
            depth += 1
            open_groups.append(len(out))
            out.append("(")
            i += 1
            prev_atom = False
        elif c == ")":
            if depth == 0:
                raise _Invalid()
            depth -= 1
            atom_start = open_groups.pop()
            out.append(")")
            i += 1
            prev_atom = True
        elif c in "*+?":
            if not prev_atom:
                raise _Invalid()
            out.append(c)
            i += 1
            # POSIX allows stacked quantifiers; Python does not: group what came before
            while i < n and p[i] in "*+?{":
                if p[i] == "{":
                    m = re.match(r"\{(\d+)(,(\d*))?\}", p[i:])
                    if not m:
                        raise _Invalid()
                    q = m.group(0)
                    i += len(q)
                else:
                    q = p[i]
                    i += 1
                out.insert(atom_start, "(?:")
                out.append(")" + q)
        elif c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", p[i:])
            if not m or not prev_atom:
                raise _Invalid()
            lo = int(m.group(1))
            if m.group(3):
                if int(m.group(3)) < lo:
                    raise _Invalid()
            out.append(m.group(0))
            i += len(m.group(0))
        elif c == "}":
            atom_start = len(out)
            out.append(_lit(c))
            i += 1
            prev_atom = True
        elif c == "|":
            out.append("|")
            i += 1
            prev_atom = False
        elif c == "^":
            atom_start = len(out)
            out.append("^")
            i += 1
            prev_atom = True
        elif c == "$":
            atom_start = len(out)
            out.append(end_anchor)
            i += 1
            prev_atom = True
        elif c == ".":
            atom_start = len(out)
            out.append(".")
            i += 1
            prev_atom = True
        else:
            atom_start = len(out)
            out.append(_lit(c))
            i += 1
            prev_atom = True
    if depth:
        raise _Invalid()
    return "".join(out)


class _Regex:
    def __init__(self, pattern: str) -> None:
        self.full = re.compile(translate(pattern), re.DOTALL)
        self.has_end = "$" in pattern
        self.no_end = re.compile(translate(pattern, "(?!)"), re.DOTALL) if self.has_end else self.full
        self.groups = self.full.groups

    def longest_at(self, s: str, start: int, min_end: int):
        """The longest match starting exactly at ``start`` ending at or after ``min_end``."""
        for end in range(len(s), min_end - 1, -1):
            rx = self.full if end == len(s) else self.no_end
            m = rx.fullmatch(s, start, end) if end == len(s) else self._fullmatch_prefix(rx, s, start, end)
            if m is not None:
                return m
        return None

    @staticmethod
    def _fullmatch_prefix(rx, s, start, end):
        return rx.fullmatch(s, start, end)

    def search(self, s: str, pos: int):
        m = self.full.search(s, pos)
        if m is None:
            return None
        longer = self.longest_at(s, m.start(), m.end() + 1)
        return longer if longer is not None else m

    def search_nonempty_at(self, s: str, pos: int):
        return self.longest_at(s, pos, pos + 1)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> _Regex:
    try:
        return _Regex(pattern)
    except (_Invalid, re.error, OverflowError, RecursionError):
        raise _Invalid() from None


def compile_regex(pattern: str, pos) -> _Regex:
    try:
        return _compile(pattern)
    except _Invalid:
        raise EvalError(f"invalid regular expression '{pattern}'", pos) from None


def _groups(m, n: int) -> list:
    return [m.group(k) for k in range(1, n + 1)]


@primop("match", 2)
def _match(ev, pos, regex, s):
    pattern = str(ev.force_string_no_context(regex, pos))
    rx = compile_regex(pattern, pos)
    text = str(ev.force_string(s, pos))
    m = rx.full.fullmatch(text)
    if m is None:
        return None
    return _groups(m, rx.groups)


@primop("split", 2)
def _split(ev, pos, regex, s):
    pattern = str(ev.force_string_no_context(regex, pos))
    rx = compile_regex(pattern, pos)
    original = ev.force_string(s, pos)
    text = str(original)
    matches = []
    m = rx.search(text, 0)
    while m is not None:
        matches.append(m)
        if m.end() > m.start():
            m = rx.search(text, m.end())
        else:
            p = m.end()
            if p >= len(text):
                break
            m2 = rx.search_nonempty_at(text, p)
            if m2 is None:
                m2 = rx.search(text, p + 1)
            m = m2
    if not matches:
        return [original]
    out: list = []
    prev = 0
    for m in matches:
        out.append(text[prev:m.start()])
        out.append(_groups(m, rx.groups))
        prev = m.end()
    out.append(text[prev:])
    return out
