"""Static scoping: bind every variable to its environment slot, as Nix's ``bindVars``.

Nix checks scopes at parse time: a variable bound by no enclosing ``let``,
``rec`` set or function and not inside any ``with`` is an error even if it is
never evaluated.  A lexical binding always wins over ``with``, however deeply
the ``with`` is nested; a variable bound by no lexical scope is looked up in
the innermost ``with`` first.  The slots computed here are what the evaluator
indexes environments with.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..errors import ParseError
from . import ast
from .printer import show_id  # Nix prints names in messages as it prints identifiers

_NAMES = json.loads(Path(__file__).with_name("global_names.json").read_text())

#: Names visible in every file without ``builtins.``: Nix 2.8's base environment.
GLOBAL_NAMES: tuple[str, ...] = tuple(_NAMES["global"]) + tuple("__" + n for n in _NAMES["underscored"]) + (
    "__nixPath", "__currentSystem", "__currentTime", "__storeDir", "__nixVersion", "__langVersion")


class StaticEnv:
    """One scope: a name -> slot map, or a ``with`` (no names of its own)."""

    __slots__ = ("names", "is_with", "up")

    def __init__(self, names: dict[str, int], is_with: bool, up: "StaticEnv | None") -> None:
        self.names = names
        self.is_with = is_with
        self.up = up


def base_env() -> StaticEnv:
    return StaticEnv({name: i for i, name in enumerate(GLOBAL_NAMES)}, False, None)


def _scope(names: Iterable[str], up: StaticEnv) -> StaticEnv:
    return StaticEnv({name: i for i, name in enumerate(names)}, False, up)


def _var(e: ast.Var, env: StaticEnv) -> None:
    level, with_level, cur = 0, -1, env
    while cur is not None:
        if cur.is_with:
            if with_level == -1:
                with_level = level
        else:
            index = cur.names.get(e.name)
            if index is not None:
                e.level, e.index, e.from_with = level, index, False
                return
        cur = cur.up
        level += 1
    if with_level == -1:
        raise ParseError(f"undefined variable '{show_id(e.name)}'", e.pos)
    e.level, e.from_with = with_level, True


def _attrs(e: ast.Attrs, env: StaticEnv) -> None:
    if e.recursive:
        inner = _scope(e.attrs, env)
        for i, attr in enumerate(e.attrs.values()):
            attr.index = i
            # Inherited names come from the scope around the set, not the set itself.
            _bind(attr.expr, env if attr.inherited else inner)
        for dyn in e.dynamic:
            _bind(dyn.name, inner)
            _bind(dyn.value, inner)
    else:
        for attr in e.attrs.values():
            _bind(attr.expr, env)
        for dyn in e.dynamic:
            _bind(dyn.name, env)
            _bind(dyn.value, env)


def _let(e: ast.Let, env: StaticEnv) -> None:
    inner = _scope(e.attrs.attrs, env)
    for i, attr in enumerate(e.attrs.attrs.values()):
        attr.index = i
        _bind(attr.expr, env if attr.inherited else inner)
    _bind(e.body, inner)


def _lambda(e: ast.Lambda, env: StaticEnv) -> None:
    names: list[str] = []
    if e.arg is not None:
        names.append(e.arg)
    if e.formals is not None:
        names.extend(f.name for f in e.formals.formals)
    inner = _scope(names, env)
    if e.formals is not None:
        for f in e.formals.formals:
            if f.default is not None:
                _bind(f.default, inner)
    _bind(e.body, inner)


def _with(e: ast.With, env: StaticEnv) -> None:
    _bind(e.attrs, env)
    _bind(e.body, StaticEnv({}, True, env))


def _children(e: ast.Expr) -> Iterable[ast.Expr]:
    """Sub-expressions of the nodes that open no scope."""
    if isinstance(e, ast.Select):
        yield e.expr
        if e.default is not None:
            yield e.default
        yield from (p for p in e.path if isinstance(p, ast.Expr))
    elif isinstance(e, ast.HasAttr):
        yield e.expr
        yield from (p for p in e.path if isinstance(p, ast.Expr))
    elif isinstance(e, ast.List):
        yield from e.elems
    elif isinstance(e, ast.Call):
        yield e.fun
        yield from e.args
    elif isinstance(e, ast.If):
        yield from (e.cond, e.then, e.else_)
    elif isinstance(e, ast.Assert):
        yield from (e.cond, e.body)
    elif isinstance(e, ast.Not):
        yield e.expr
    elif isinstance(e, ast.BinOp):
        yield from (e.left, e.right)
    elif isinstance(e, ast.ConcatStrings):
        yield from e.parts


_SCOPED = {ast.Var: _var, ast.Attrs: _attrs, ast.Let: _let, ast.Lambda: _lambda, ast.With: _with}


def _bind(e: ast.Expr, env: StaticEnv) -> None:
    handler = _SCOPED.get(type(e))
    if handler is not None:
        handler(e, env)
    else:
        for child in _children(e):
            _bind(child, env)


def bind_vars(e: ast.Expr, env: StaticEnv | None = None) -> None:
    """Resolve every variable in ``e`` against ``env`` (the base environment by default)."""
    _bind(e, env if env is not None else base_env())
