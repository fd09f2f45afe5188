"""Nix files whose value is provided by Python: the bridge from Nix code to our library.

The framework (createManagedProcess and the backends) and the ``pkgs``
resolvers are Nix code that must reach Python generators and resolvers.
Adding names to ``builtins`` would make our builtins differ from Nix's, so
instead a real file in the package (its content is only a ``throw`` telling
real Nix it cannot evaluate it) is given its value up front: ``import`` of
that path finds it already in the session's file cache.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .values import Attrs, PrimOp

if TYPE_CHECKING:
    from .evaluator import Evaluator

NativeFn = Callable[..., Any]
"""``fn(ev, pos, *args)``, the calling convention of builtins."""


def provide(ev: Evaluator, path: str, value: Any) -> None:
    """Make ``import path`` evaluate to ``value`` in this session."""
    from ..parser import canon_path

    ev.file_cache[canon_path(os.path.abspath(path))] = value


def explain_missing(ev: Evaluator, attrs: Attrs, explain: Callable[[str], str]) -> Attrs:
    """Make selecting a name ``attrs`` lacks fail with ``explain(name)`` instead of "attribute 'name' missing".

    For sets standing for something larger than their attributes (``pkgs``:
    a package may exist, just not in the host package table). ``?`` and
    ``or`` are unaffected.
    """
    ev.missing_attribute_hints[id(attrs)] = (attrs, explain)
    return attrs


def native_functions(prefix: str, functions: dict[str, tuple[int, NativeFn]]) -> Attrs:
    """An attribute set of primops named ``<prefix>.<name>`` (the name shows in error traces)."""
    return Attrs({name: PrimOp(f"{prefix}.{name}", arity, fn) for name, (arity, fn) in functions.items()})
