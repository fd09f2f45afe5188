"""Failing system calls reported as Nix's ``SysError`` words them.

Reading a missing or unreadable source is a user's mistake, so it must
surface as an error with Nix's message rather than as a Python OSError.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from nixproc_disnix.errors import EvalError


@contextmanager
def sys_error(what: str, path: str | bytes) -> Iterator[None]:
    """Turn an OSError inside the block into ``<what> '<path>': <strerror>``."""
    try:
        yield
    except OSError as e:
        raise EvalError(f"{what} '{os.fsdecode(path)}': {e.strerror}") from e
