"""Applying a process manager's ``overrides`` to a generator's arguments (SPEC §2.3).

Each generator builds the arguments of its native create function, then lets
the user's override have the last word: a function (here a Python callable)
receives them and returns the ones to use; anything else is deep-merged in
with ``lib.recursiveUpdate`` semantics.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nixproc_disnix.errors import EvalError

OverrideHook = Callable[[dict[str, Any]], dict[str, Any]]
"""The function form of an override: generated arguments in, arguments to use out."""


def recursive_update(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``lib.recursiveUpdate``: where both sides hold an attribute set, merge key by key;
    otherwise the update's value replaces the base's wholesale (lists are not concatenated)."""
    merged = dict(base)
    for key, value in update.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = recursive_update(current, value)
        else:
            merged[key] = value
    return merged


def apply_overrides(generated: Mapping[str, Any], override: OverrideHook | Mapping[str, Any]) -> dict[str, Any]:
    """The arguments a backend's create function receives: ``override(generated)`` or the deep merge."""
    if callable(override):
        return override(dict(generated))
    if not isinstance(override, Mapping):
        raise EvalError(f"an override must be a function or an attribute set, not {type(override).__name__}")
    return recursive_update(generated, override)

