"""Runtime environments, laid out exactly as :mod:`..scope` numbered them."""
from __future__ import annotations

from typing import Any


class Env:
    """One frame: the slots of a ``let``, ``rec`` set or function call, or a ``with``.

    A ``with`` frame has no slots; ``with_attrs`` holds its (lazy) attribute set.
    """

    __slots__ = ("vars", "up", "with_attrs")

    def __init__(self, vars: list[Any], up: "Env | None", with_attrs: Any = None) -> None:
        self.vars = vars
        self.up = up
        self.with_attrs = with_attrs
