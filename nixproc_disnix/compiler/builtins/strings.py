"""String primops, following Nix 2.8's ``primops.cc`` and ``names.cc``.

Strings are latin-1 decoded bytes, so Python indexing is byte indexing and
``str`` ordering is byte order, as in Nix.  Context is carried through
(``substring``, ``concatStringsSep``, ``replaceStrings``) the way Nix does;
the context primops themselves are in :mod:`.context`.
"""
from __future__ import annotations

from ...errors import EvalError
from ..eval.values import Attrs, context_of, make_string
from . import primop


@primop("stringLength", 1)
def _string_length(ev, pos, s):
    context: set[str] = set()
    return len(ev.coerce_to_string(s, pos, context))


@primop("substring", 3)
def _substring(ev, pos, start, length, s):
    start = ev.force_int(start, pos)
    length = ev.force_int(length, pos)
    context: set[str] = set()
    text = str(ev.coerce_to_string(s, pos, context))
    if start < 0:
        raise EvalError("negative start position in 'substring'", pos)
    if start >= len(text):
        return make_string("", context)
    end = len(text) if length < 0 else start + length
    return make_string(text[start:end], context)


@primop("concatStringsSep", 2)
def _concat_strings_sep(ev, pos, sep, items):
    sep = ev.force_string(sep, pos)
    context: set[str] = set(context_of(sep))
    items = ev.force_list(items, pos)
    parts = [str(ev.coerce_to_string(item, pos, context)) for item in items]
    return make_string(str(sep).join(parts), context)


@primop("replaceStrings", 3)
def _replace_strings(ev, pos, from_, to, s):
    from_ = ev.force_list(from_, pos)
    to = ev.force_list(to, pos)
    if len(from_) != len(to):
        raise EvalError("'from' and 'to' arguments to 'replaceStrings' have different lengths", pos)
    patterns = [str(ev.force_string(x, pos)) for x in from_]
    replacements = []
    for x in to:
        r = ev.force_string(x, pos)
        replacements.append((str(r), context_of(r)))
    s = ev.force_string(s, pos)
    context: set[str] = set(context_of(s))
    text = str(s)
    out: list[str] = []
    p = 0
    n = len(text)
    while p <= n:
        for pattern, (replacement, ctx) in zip(patterns, replacements):
            if text.startswith(pattern, p):
                out.append(replacement)
                context.update(ctx)
                if pattern:
                    p += len(pattern)
                else:
                    if p < n:
                        out.append(text[p])
                    p += 1
                break
        else:
            if p < n:
                out.append(text[p])
            p += 1
    return make_string("".join(out), context)


# -- names and versions (names.cc) ---------------------------------------------

def _is_alpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def parse_drv_name(s: str) -> tuple[str, str]:
    """Split ``name-version`` at the first dash not followed by a letter."""
    for i, c in enumerate(s):
        if c == "-" and i + 1 < len(s) and not _is_alpha(s[i + 1]):
            return s[:i], s[i + 1:]
    return s, ""


def _next_component(s: str, p: int) -> tuple[str, int]:
    n = len(s)
    while p < n and s[p] in ".-":
        p += 1
    if p == n:
        return "", p
    start = p
    if _is_digit(s[p]):
        while p < n and _is_digit(s[p]):
            p += 1
    else:
        while p < n and not _is_digit(s[p]) and s[p] not in ".-":
            p += 1
    return s[start:p], p


def _as_int(c: str) -> int | None:
    # Nix's string2Int<int>: all digits and within a 32-bit int.
    if c and all(_is_digit(ch) for ch in c):
        value = int(c)
        if value <= 0x7FFFFFFF:
            return value
    return None


def _components_lt(c1: str, c2: str) -> bool:
    n1 = _as_int(c1)
    n2 = _as_int(c2)
    if n1 is not None and n2 is not None:
        return n1 < n2
    if c1 == "" and n2 is not None:
        return True
    if c1 == "pre" and c2 != "pre":
        return True
    if c2 == "pre":
        return False
    if n2 is not None:
        return True
    if n1 is not None:
        return False
    return c1 < c2


def compare_versions(v1: str, v2: str) -> int:
    p1 = p2 = 0
    while p1 < len(v1) or p2 < len(v2):
        c1, p1 = _next_component(v1, p1)
        c2, p2 = _next_component(v2, p2)
        if _components_lt(c1, c2):
            return -1
        if _components_lt(c2, c1):
            return 1
    return 0


def split_version(v: str) -> list[str]:
    out: list[str] = []
    p = 0
    while p < len(v):
        c, p = _next_component(v, p)
        if not c:
            break
        out.append(c)
    return out


@primop("parseDrvName", 1)
def _parse_drv_name(ev, pos, s):
    name, version = parse_drv_name(ev.force_string_no_context(s, pos))
    return Attrs({"name": name, "version": version})


@primop("compareVersions", 2)
def _compare_versions(ev, pos, a, b):
    return compare_versions(ev.force_string_no_context(a, pos), ev.force_string_no_context(b, pos))


@primop("splitVersion", 1)
def _split_version(ev, pos, v):
    return split_version(ev.force_string_no_context(v, pos))
