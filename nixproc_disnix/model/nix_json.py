"""Plain Python data as Nix sees it: ``builtins.toJSON``, ``toString`` and attribute order.

The file formats in ``model/`` hold what an evaluated Nix expression becomes
(dicts, lists, strings, ints, floats, bools, None). Upstream writes several of
them with ``builtins.toJSON`` and interpolates values with ``toString``; these
functions reproduce both byte for byte so our output matches upstream's.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nixproc_disnix.compiler.eval.printer import json_string
from nixproc_disnix.compiler.printer import show_float
from nixproc_disnix.errors import EvalError


def attr_names(attrs: Iterable[str]) -> list[str]:
    """``builtins.attrNames`` order: names sorted by their bytes (UTF-8), not by code point."""
    return sorted(attrs, key=lambda name: name.encode("utf-8"))


def to_json(value: Any) -> str:
    """``builtins.toJSON``: compact, sets by :func:`attr_names`, floats as C++ prints them.

    A callable stands for a Nix function, which ``toJSON`` refuses.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return show_float(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(json_string(key) + ":" + to_json(value[key]) for key in attr_names(value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    if callable(value):
        raise EvalError("cannot convert a function to JSON")
    raise EvalError(f"cannot convert {type(value).__name__} to JSON")


def to_string(value: Any) -> str:
    """``builtins.toString``: ``true`` → ``1``, ``false``/``null`` → empty, floats as ``%f``, lists space-separated.

    This is how upstream stringifies environment values, arguments and
    credential attributes before shell-quoting them.
    """
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "%f" % value
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ".join(to_string(item) for item in value)
    raise EvalError(f"cannot coerce {type(value).__name__} to a string")
