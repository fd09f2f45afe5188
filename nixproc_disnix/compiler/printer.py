"""The canonical text of an AST, exactly as ``nix-instantiate --parse`` (Nix 2.8) prints it."""
from __future__ import annotations

import math
from typing import Callable

from . import ast

_ID_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_ID_CHARS = _ID_START | frozenset("0123456789'-")
_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "$": "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def show_string(s: str) -> str:
    return '"' + "".join(_STRING_ESCAPES.get(c, c) for c in s) + '"'


def show_id(name: str) -> str:
    """An attribute or variable name, quoted unless it is a plain identifier."""
    if name == "":
        return '""'
    if name == "if":
        return '"if"'
    if name[0] not in _ID_START or not all(c in _ID_CHARS for c in name):
        return show_string(name)
    return name


def show_float(value: float) -> str:
    """C++ ``ostream << double``: ``%g`` with six significant digits (NaN keeps its sign)."""
    if value != value:
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    return "%g" % value


def show_attr_path(path: list[ast.AttrName]) -> str:
    return ".".join(show_id(p) if isinstance(p, str) else '"${' + show(p) + '}"' for p in path)


def _attrs(e: ast.Attrs) -> str:
    out = ["rec { " if e.recursive else "{ "]
    for name in sorted(e.attrs, key=lambda n: n.encode("latin-1")):
        attr = e.attrs[name]
        if attr.inherited:
            out.append(f"inherit {show_id(name)} ; ")
        else:
            out.append(f"{show_id(name)} = {show(attr.expr)}; ")
    for dyn in e.dynamic:
        out.append('"${' + show(dyn.name) + '}" = ' + show(dyn.value) + "; ")
    out.append("}")
    return "".join(out)


def _lambda(e: ast.Lambda) -> str:
    out = ["("]
    if e.formals is not None:
        formals = e.formals.formals
        if _sorted_scopes:
            formals = sorted(formals, key=lambda f: f.name)
        items = [show_id(f.name) if f.default is None else f"{show_id(f.name)} ? {show(f.default)}"
                 for f in formals]
        if e.formals.ellipsis:
            items.append("...")
        out.append("{ " + ", ".join(items) + " }")
        if e.arg is not None:
            out.append(" @ ")
    if e.arg is not None:
        out.append(show_id(e.arg))
    out.append(f": {show(e.body)})")
    return "".join(out)


def _let(e: ast.Let) -> str:
    out = ["(let "]
    names = sorted(e.attrs.attrs) if _sorted_scopes else list(e.attrs.attrs)
    for name in names:
        attr = e.attrs.attrs[name]
        if attr.inherited:
            out.append(f"inherit {show_id(name)}; ")
        else:
            out.append(f"{show_id(name)} = {show(attr.expr)}; ")
    out.append(f"in {show(e.body)})")
    return "".join(out)


def _select(e: ast.Select) -> str:
    text = f"({show(e.expr)}).{show_attr_path(e.path)}"
    return text if e.default is None else f"{text} or ({show(e.default)})"


_SHOW: dict[type, Callable[..., str]] = {
    ast.Int: lambda e: str(e.value),
    ast.Float: lambda e: show_float(e.value),
    ast.String: lambda e: show_string(e.value),
    ast.Path: lambda e: e.value,
    ast.Var: lambda e: show_id(e.name),
    ast.Select: _select,
    ast.HasAttr: lambda e: f"(({show(e.expr)}) ? {show_attr_path(e.path)})",
    ast.Attrs: _attrs,
    ast.List: lambda e: "[ " + "".join(f"({show(x)}) " for x in e.elems) + "]",
    ast.Lambda: _lambda,
    ast.Call: lambda e: "(" + " ".join([show(e.fun), *(show(a) for a in e.args)]) + ")",
    ast.Let: _let,
    ast.With: lambda e: f"(with {show(e.attrs)}; {show(e.body)})",
    ast.If: lambda e: f"(if {show(e.cond)} then {show(e.then)} else {show(e.else_)})",
    ast.Assert: lambda e: f"assert {show(e.cond)}; {show(e.body)}",
    ast.Not: lambda e: f"(! {show(e.expr)})",
    ast.BinOp: lambda e: f"({show(e.left)} {e.op} {show(e.right)})",
    ast.ConcatStrings: lambda e: "(" + " + ".join(show(p) for p in e.parts) + ")",
    ast.CurPos: lambda e: "__curPos",
}


_sorted_scopes = False


def show(e: ast.Expr) -> str:
    """Print ``e`` the way Nix's ``Expr::show`` does."""
    return _SHOW[type(e)](e)


def show_sorted(e: ast.Expr) -> str:
    """Like :func:`show`, but with ``let`` bindings and formals sorted by name.

    Nix 2.8 prints those two in the order of its symbols' memory addresses, so
    comparisons with its output sort them on both sides.
    """
    global _sorted_scopes
    _sorted_scopes = True
    try:
        return show(e)
    finally:
        _sorted_scopes = False
