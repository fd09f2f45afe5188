"""Profile generations as Nix keeps them, and ``nix-env --list-generations`` output.

A generation is read from the file system (``store.profiles``), never from a
file of its own, so there is no parser here; the rendering is byte for byte
Nix 2.8's (checked against ``nix-env -p PROFILE --list-generations``).
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field


class Generation(BaseModel):
    """One ``<profile>-<N>-link``.

    ``creation_time`` is the link's own mtime (``lstat``), as Nix takes it: a
    generation's age is when it was made, not when its target was built.
    """

    model_config = ConfigDict(frozen=True, strict=True)

    number: int = Field(ge=0)
    link: str
    """Absolute path of the generation link."""
    target: str
    """What the link points to (a store path), as read from the link."""
    creation_time: int
    """Seconds since the epoch."""
    current: bool


def render_generations(generations: Iterable[Generation]) -> str:
    """``nix-env --list-generations``: ``%4u   <local time>   (current)``, one per line.

    Nix prints the trailing three spaces even when the column is empty and
    uses the local time zone, so this does too.
    """
    return "".join(
        f"{g.number:4d}   {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(g.creation_time))}"
        f"   {'(current)' if g.current else ''}\n"
        for g in generations
    )
