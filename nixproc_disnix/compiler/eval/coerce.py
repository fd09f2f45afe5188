"""Coercions and comparisons with Nix 2.8's rules (coerceToString, eqValues, lessThan)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import EvalError, Pos
from .values import Attrs, Closure, CStr, NixPath, PrimOp, PrimOpApp, show_type

if TYPE_CHECKING:
    from .evaluator import Evaluator


def coerce_to_string(ev: "Evaluator", v: Any, pos: Pos | None, context: set[str] | None,
                     coerce_more: bool = False, copy_to_store: bool = True, canonicalize: bool = True) -> str:
    """A value as a string, collecting its context into ``context``.

    Strings pass; paths are copied to the store (or kept as paths when
    ``copy_to_store`` is false); sets use ``__toString`` or ``outPath``.  With
    ``coerce_more`` (``toString``), null, Booleans, numbers and lists coerce too.
    """
    v = ev.force(v, pos)
    t = type(v)
    if t is str:
        return v
    if t is CStr:
        if context is not None:
            context.update(v.context)
        return str(v)
    if t is NixPath:
        if not copy_to_store:
            if canonicalize:
                from ..parser import canon_path

                return canon_path(v.path)
            return v.path
        store_path = ev.copy_path_to_store(v.path, pos)
        if context is not None:
            context.add(store_path)
        return store_path
    if t is Attrs:
        if "__toString" in v:
            result = ev.call(ev.force(v["__toString"], pos), v, pos)
            return coerce_to_string(ev, result, pos, context, coerce_more, copy_to_store)
        if "outPath" in v:
            return coerce_to_string(ev, v["outPath"], pos, context, coerce_more, copy_to_store)
        raise EvalError("cannot coerce a set to a string", pos)
    if coerce_more:
        if t is bool:
            return "1" if v else ""
        if t is int:
            return str(v)
        if t is float:
            return "%f" % v
        if v is None:
            return ""
        if t is list:
            out: list[str] = []
            for i, item in enumerate(v):
                out.append(coerce_to_string(ev, item, pos, context, coerce_more, copy_to_store))
                if i < len(v) - 1:
                    item = ev.force(item, pos)
                    if type(item) is not list or item:
                        out.append(" ")
            return "".join(out)
    raise EvalError(f"cannot coerce {show_type(v)} to a string", pos)


def is_derivation(ev: "Evaluator", v: Any) -> bool:
    if type(v) is not Attrs or "type" not in v:
        return False
    t = ev.force(v["type"])
    return (type(t) is str or type(t) is CStr) and t == "derivation"


def values_equal(ev: "Evaluator", a: Any, b: Any, pos: Pos | None = None) -> bool:
    """Nix's ``==``: numbers across int/float, strings ignoring context, sets and
    lists structurally, derivations by ``outPath``, functions never equal."""
    a = ev.force(a, pos)
    b = ev.force(b, pos)
    ta, tb = type(a), type(b)
    if ta is CStr:
        ta = str
    if tb is CStr:
        tb = str
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a == b
    if ta is not tb:
        return False
    if ta is str:
        return str(a) == str(b)
    if ta is bool:
        return a is b
    if ta is NixPath:
        return a.path == b.path
    if a is None:
        return True
    if ta is list:
        if a is b:
            return True
        return len(a) == len(b) and all(values_equal(ev, x, y, pos) for x, y in zip(a, b))
    if ta is Attrs:
        if a is b:
            return True
        if is_derivation(ev, a) and is_derivation(ev, b) and "outPath" in a and "outPath" in b:
            return values_equal(ev, a["outPath"], b["outPath"], pos)
        if len(a) != len(b):
            return False
        for name, value in a.items():
            if name not in b or not values_equal(ev, value, b[name], pos):
                return False
        return True
    if ta in (Closure, PrimOp, PrimOpApp):
        return False
    return a == b


def less_than(ev: "Evaluator", a: Any, b: Any, pos: Pos | None = None) -> bool:
    """``builtins.lessThan``: numbers, strings (bytewise), paths and lists (lexicographic)."""
    a = ev.force(a, pos)
    b = ev.force(b, pos)
    ta, tb = type(a), type(b)
    if ta in (int, float) and tb in (int, float) and ta is not bool and tb is not bool:
        return a < b
    if ta in (str, CStr) and tb in (str, CStr):
        return str(a) < str(b)
    if ta is NixPath and tb is NixPath:
        return a.path < b.path
    if ta is list and tb is list:
        for x, y in zip(a, b):
            if not values_equal(ev, x, y, pos):
                return less_than(ev, x, y, pos)
        return len(a) < len(b)
    raise EvalError(f"cannot compare {show_type(a)} with {show_type(b)}", pos)
