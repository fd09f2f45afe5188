"""Attribute set primops, following Nix 2.8's ``primops.cc``.

Results stay lazy where Nix's do: ``mapAttrs`` and ``zipAttrsWith`` build
``Apply`` thunks, and values copied from one set to another are never forced.
"""
from __future__ import annotations

from typing import Any

from ...errors import EvalError
from ..eval.values import Apply, Attrs, CStr, NixPath, show_type
from . import primop


def _subset(attrs: Attrs, names) -> Attrs:
    """A new set of ``attrs``' entries for ``names`` (positions kept)."""
    positions = attrs.positions
    out = Attrs({n: attrs[n] for n in names},
                positions={n: positions.get(n) for n in names} if positions else None)
    return out


def _missing(name: str, fn: str, pos) -> EvalError:
    return EvalError(f"attribute '{name}' missing for call to '{fn}'", pos)


@primop("attrNames", 1)
def _attr_names(ev, pos, attrs):
    return sorted(ev.force_attrs(attrs, pos))


@primop("attrValues", 1)
def _attr_values(ev, pos, attrs):
    attrs = ev.force_attrs(attrs, pos)
    return [attrs[n] for n in sorted(attrs)]


@primop("getAttr", 2)
def _get_attr(ev, pos, name, attrs):
    key = ev.force_string_no_context(name, pos)
    attrs = ev.force_attrs(attrs, pos)
    if key not in attrs:
        raise _missing(key, "getAttr", pos)
    return ev.force(attrs[key], pos)


@primop("hasAttr", 2)
def _has_attr(ev, pos, name, attrs):
    key = ev.force_string_no_context(name, pos)
    return key in ev.force_attrs(attrs, pos)


@primop("removeAttrs", 2)
def _remove_attrs(ev, pos, attrs, names):
    attrs = ev.force_attrs(attrs, pos)
    names = ev.force_list(names, pos)
    drop = {ev.force_string_no_context(n, pos) for n in names}
    return _subset(attrs, [n for n in attrs if n not in drop])


@primop("listToAttrs", 1)
def _list_to_attrs(ev, pos, items):
    items = ev.force_list(items, pos)
    out = Attrs(positions={})
    for item in items:
        item = ev.force_attrs(item, pos)
        if "name" not in item:
            raise _missing("name", "listToAttrs", pos)
        name = ev.force_string_no_context(item["name"], pos)
        if name in out:
            continue
        if "value" not in item:
            raise _missing("value", "listToAttrs", pos)
        out[name] = item["value"]
        out.positions[name] = item.positions.get("value") if item.positions else None
    return out


@primop("intersectAttrs", 2)
def _intersect_attrs(ev, pos, left, right):
    left = ev.force_attrs(left, pos)
    right = ev.force_attrs(right, pos)
    return _subset(right, [n for n in right if n in left])


@primop("catAttrs", 2)
def _cat_attrs(ev, pos, name, items):
    key = ev.force_string_no_context(name, pos)
    items = ev.force_list(items, pos)
    out = []
    for item in items:
        item = ev.force_attrs(item, pos)
        if key in item:
            out.append(item[key])
    return out


@primop("mapAttrs", 2)
def _map_attrs(ev, pos, fn, attrs):
    attrs = ev.force_attrs(attrs, pos)
    return Attrs({n: Apply(Apply(fn, n, pos), v, pos) for n, v in attrs.items()},
                 positions=dict(attrs.positions) if attrs.positions else None)


@primop("zipAttrsWith", 2)
def _zip_attrs_with(ev, pos, fn, sets):
    sets = ev.force_list(sets, pos)
    grouped: dict[str, list] = {}
    for s in sets:
        s = ev.force_attrs(s, pos)
        for n, v in s.items():
            grouped.setdefault(n, []).append(v)
    return Attrs({n: Apply(Apply(fn, n, pos), vs, pos) for n, vs in grouped.items()})


@primop("groupBy", 2)
def _group_by(ev, pos, fn, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    out: dict[str, list] = {}
    for item in items:
        key = ev.force_string_no_context(ev.call(fn, item, pos), pos)
        out.setdefault(key, []).append(item)
    return Attrs(out)


def _closure_key(ev, v, pos) -> Any:
    """A hashable stand-in for a forced key, equal where Nix's CompareValues ties."""
    t = type(v)
    if t is int or t is float:
        return ("n", v)
    if t is str or t is CStr:
        return ("s", str(v))
    if t is NixPath:
        return ("p", v.path)
    if t is list:
        return ("l",) + tuple(_closure_key(ev, ev.force(x, pos), pos) for x in v)
    raise EvalError(f"cannot compare {show_type(v)} with {show_type(v)}", pos)


@primop("genericClosure", 1)
def _generic_closure(ev, pos, args):
    args = ev.force_attrs(args, pos)
    if "startSet" not in args:
        raise EvalError("attribute 'startSet' required", pos)
    work = list(ev.force_list(args["startSet"], pos))
    if "operator" not in args:
        raise EvalError("attribute 'operator' required", pos)
    op = args["operator"]
    done: set = set()
    key_type = None
    result = []
    i = 0
    while i < len(work):
        e = ev.force_attrs(work[i], pos)
        i += 1
        if "key" not in e:
            raise EvalError("attribute 'key' required", pos)
        key = ev.force(e["key"], pos)
        kt = "n" if type(key) in (int, float) else type(key).__name__.replace("CStr", "str")
        if key_type is None:
            key_type = (kt, key)
        elif kt != key_type[0]:
            raise EvalError(f"cannot compare {show_type(key)} with {show_type(key_type[1])}", pos)
        try:
            k = _closure_key(ev, key, pos)
        except EvalError:
            if done:
                raise
            k = ("x", id(key))  # the first key is never compared with anything
        if k in done:
            continue
        done.add(k)
        result.append(e)
        work.extend(ev.force_list(ev.call(ev.force_function(op, pos), e, pos), pos))
        if i > 4096 and i * 2 > len(work):
            del work[:i]
            i = 0
    return result
