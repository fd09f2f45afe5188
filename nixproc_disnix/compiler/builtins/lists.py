"""List primops, following Nix 2.8's ``primops.cc``.

``map`` and ``genList`` build ``Apply`` thunks so elements are computed only
when used; ``foldl'`` forces its accumulator at every step, iteratively.
"""
from __future__ import annotations

import functools

from ...errors import EvalError
from ..eval.coerce import less_than
from ..eval.values import Apply, Attrs, PrimOp
from . import primop


def _elem_at(ev, pos, items, n):
    if n < 0 or n >= len(items):
        raise EvalError(f"list index {n} is out of bounds", pos)
    return ev.force(items[n], pos)


@primop("length", 1)
def _length(ev, pos, items):
    return len(ev.force_list(items, pos))


@primop("head", 1)
def _head(ev, pos, items):
    return _elem_at(ev, pos, ev.force_list(items, pos), 0)


@primop("tail", 1)
def _tail(ev, pos, items):
    items = ev.force_list(items, pos)
    if not items:
        raise EvalError("'tail' called on an empty list", pos)
    return items[1:]


@primop("elemAt", 2)
def _elem_at_primop(ev, pos, items, n):
    n = ev.force_int(n, pos)  # Nix forces the index before the list
    return _elem_at(ev, pos, ev.force_list(items, pos), n)


@primop("map", 2)
def _map(ev, pos, fn, items):
    items = ev.force_list(items, pos)
    return [Apply(fn, item, pos) for item in items]


@primop("filter", 2)
def _filter(ev, pos, fn, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    return [item for item in items if ev.force_bool(ev.call(fn, item, pos), pos)]


@primop("foldl'", 3)
def _foldl(ev, pos, fn, acc, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    if not items:
        return ev.force(acc, pos)
    for item in items:
        partial = ev.force(ev.call(fn, acc, pos), pos)
        acc = ev.force(ev.call(partial, item, pos), pos)
    return acc


@primop("genList", 2)
def _gen_list(ev, pos, fn, length):
    n = ev.force_int(length, pos)
    if n < 0:
        raise EvalError(f"cannot create list of size {n}", pos)
    return [Apply(fn, i, pos) for i in range(n)]


@primop("concatLists", 1)
def _concat_lists(ev, pos, lists):
    out: list = []
    for item in ev.force_list(lists, pos):
        out.extend(ev.force_list(item, pos))
    return out


@primop("concatMap", 2)
def _concat_map(ev, pos, fn, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    out: list = []
    for item in items:
        out.extend(ev.force_list(ev.call(fn, item, pos), pos))
    return out


@primop("elem", 2)
def _elem(ev, pos, x, items):
    items = ev.force_list(items, pos)
    return any(ev.equal(x, item, pos) for item in items)


@primop("all", 2)
def _all(ev, pos, fn, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    return all(ev.force_bool(ev.call(fn, item, pos), pos) for item in items)


@primop("any", 2)
def _any(ev, pos, fn, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    return any(ev.force_bool(ev.call(fn, item, pos), pos) for item in items)


@primop("sort", 2)
def _sort(ev, pos, fn, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    values = [ev.force(item, pos) for item in items]
    if type(fn) is PrimOp and fn.name == "lessThan":
        def lt(a, b):
            return less_than(ev, a, b, pos)
    else:
        def lt(a, b):
            partial = ev.force(ev.call(fn, a, pos), pos)
            return ev.force_bool(ev.call(partial, b, pos), pos)

    def cmp(a, b):
        # Python's stable sort only asks "b < a?"; answering via the user's
        # lessThan keeps the same order as std::stable_sort for a strict weak order.
        return -1 if lt(a, b) else 0

    return sorted(values, key=functools.cmp_to_key(cmp))


@primop("partition", 2)
def _partition(ev, pos, fn, items):
    fn = ev.force_function(fn, pos)
    items = ev.force_list(items, pos)
    right: list = []
    wrong: list = []
    for item in items:
        value = ev.force(item, pos)
        (right if ev.force_bool(ev.call(fn, value, pos), pos) else wrong).append(value)
    return Attrs({"right": right, "wrong": wrong})
