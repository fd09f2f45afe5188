"""The ``builtins`` set: primops registered by family modules, plus constants.

Each family module (``core``, ``attrs``, ``lists``, ``strings``, ...) defines its
primops with :func:`primop`; a primop receives the evaluator, the call
position and its arguments unforced, and forces what it needs (Nix primops
are strict only where they choose to be).
"""
from __future__ import annotations

import importlib
import os
import time
from typing import TYPE_CHECKING, Any, Callable

from ..eval.values import Attrs, Lazy, PrimOp

if TYPE_CHECKING:
    from ..eval.evaluator import Evaluator

PrimOpFn = Callable[..., Any]
REGISTRY: dict[str, tuple[int, PrimOpFn]] = {}

FAMILIES = ("core", "attrs", "lists", "strings", "paths", "json", "xml", "versions", "regex",
            "hashing", "context", "derivations", "fetchers", "toml")

NIX_VERSION = "2.8.0"
LANG_VERSION = 6


def primop(name: str, arity: int) -> Callable[[PrimOpFn], PrimOpFn]:
    """Register ``fn(ev, pos, *args)`` as ``builtins.<name>`` taking ``arity`` arguments."""

    def register(fn: PrimOpFn) -> PrimOpFn:
        REGISTRY[name] = (arity, fn)
        return fn

    return register


def _load_families() -> None:
    for family in FAMILIES:
        try:
            importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{family}":
                raise


def make_builtins(ev: "Evaluator") -> Attrs:
    """A fresh ``builtins`` set for one evaluation session."""
    _load_families()
    b = Attrs()
    for name, (arity, fn) in REGISTRY.items():
        b[name] = PrimOp(name, arity, fn)
    b["builtins"] = b
    b["true"] = True
    b["false"] = False
    b["null"] = None
    b["currentSystem"] = ev.system
    b["currentTime"] = int(time.time())
    b["nixVersion"] = NIX_VERSION
    b["langVersion"] = LANG_VERSION
    b["storeDir"] = ev.store_dir
    b["nixPath"] = [Attrs({"path": path, "prefix": prefix}) for prefix, path in ev.search_path]
    corepkg = os.path.join(os.path.dirname(__file__), "derivation.nix")
    b["derivation"] = Lazy(lambda: ev.eval_file(corepkg))
    return b
