"""Values as text: what ``nix-instantiate --eval`` prints, with and without ``--json``."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..printer import show_float
from .coerce import coerce_to_string
from .values import UNEVALUATED, Attrs, BLACKHOLE, Closure, CStr, NixPath, PrimOp, PrimOpApp

if TYPE_CHECKING:
    from .evaluator import Evaluator

# Our strings are bytes decoded as latin-1; this is the UTF-8 of "«repeated»".
REPEATED = "«repeated»".encode("utf-8").decode("latin-1")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def print_string(s: str) -> str:
    out = ['"']
    for i, c in enumerate(s):
        if c == "$" and s[i + 1:i + 2] == "{":
            out.append("\\$")
        else:
            out.append(_ESCAPES.get(c, c))
    out.append('"')
    return "".join(out)


def _peek(v: Any) -> Any:
    """The value behind an already-evaluated thunk (unevaluated ones stay as they are)."""
    while type(v) in UNEVALUATED and v.value is not BLACKHOLE:
        v = v.value
    return v


def print_value(ev: "Evaluator", v: Any) -> str:
    """Nix's ``Value::print``: unevaluated parts as ``<CODE>``, shared sets and lists as ``«repeated»``."""
    out: list[str] = []
    seen: set[int] = set()

    def walk(v: Any) -> None:
        v = _peek(v)
        t = type(v)
        if t is bool:
            out.append("true" if v else "false")
        elif t is int:
            out.append(str(v))
        elif t is float:
            out.append(show_float(v))
        elif t is str or t is CStr:
            out.append(print_string(v))
        elif t is NixPath:
            out.append(v.path)
        elif v is None:
            out.append("null")
        elif t is Attrs:
            if v and id(v) in seen:
                out.append(REPEATED)
                return
            seen.add(id(v))
            out.append("{ ")
            for name in sorted(v, key=_byte_key):
                from ..printer import show_id

                out.append(f"{show_id(name)} = ")
                walk(v[name])
                out.append("; ")
            out.append("}")
        elif t is list:
            if v and id(v) in seen:
                out.append(REPEATED)
                return
            seen.add(id(v))
            out.append("[ ")
            for item in v:
                walk(item)
                out.append(" ")
            out.append("]")
        elif t in UNEVALUATED:
            out.append("<CODE>")
        elif t is Closure:
            out.append("<LAMBDA>")
        elif t is PrimOp:
            out.append("<PRIMOP>")
        elif t is PrimOpApp:
            out.append("<PRIMOP-APP>")
        else:
            raise TypeError(f"not a Nix value: {v!r}")

    walk(v)
    return "".join(out)


def _byte_key(name: str) -> bytes:
    return name.encode("latin-1")


def json_string(s: str) -> str:
    """Nix's JSON string escaping: named escapes for quote, backslash, \\n \\r \\t,
    ``\\u00XX`` for other control characters, every other byte as it is."""
    out = ['"']
    for c in s:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c < " ":
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def to_json(ev: "Evaluator", v: Any, context: set[str], strict: bool = True) -> str:
    """``builtins.toJSON`` / ``--json``: sets by sorted name, paths copied to the store,
    sets with ``__toString`` or ``outPath`` as strings."""
    from ...errors import EvalError
    from .values import show_type

    def walk(v: Any) -> str:
        v = ev.force(v)
        t = type(v)
        if t is bool:
            return "true" if v else "false"
        if t is int:
            return str(v)
        if t is float:
            return show_float(v)
        if t is str or t is CStr:
            if t is CStr:
                context.update(v.context)
            return json_string(v)
        if v is None:
            return "null"
        if t is NixPath:
            path = ev.copy_path_to_store(v.path)
            context.add(path)
            return json_string(path)
        if t is list:
            return "[" + ",".join(walk(x) for x in v) + "]"
        if t is Attrs:
            if "__toString" in v:
                return json_string(coerce_to_string(ev, v, None, context, False, False))
            if "outPath" in v:
                return walk(v["outPath"])
            return "{" + ",".join(json_string(k) + ":" + attribute(v, k) for k in sorted(v, key=_byte_key)) + "}"
        raise EvalError(f"cannot convert {show_type(v)} to JSON")

    def attribute(attrs: Attrs, name: str) -> str:
        try:
            return walk(attrs[name])
        except EvalError as err:  # the trace says which attribute holds the culprit
            err.trace.append((f"while evaluating the attribute '{name}'",
                              attrs.positions.get(name) if attrs.positions else None))
            raise

    return walk(v)


__all__ = ["print_value", "to_json", "json_string", "print_string", "json"]
