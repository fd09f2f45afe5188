"""Warnings a generator gives while it still produces its output, worded as Nix's ``builtins.trace`` prints them.

Upstream warns with ``builtins.trace`` where a process manager cannot honour
a parameter (launchd has no dependency ordering, cygrunsrv creates no
users); the output is still made. The same ``trace: <message>`` line goes to
standard error here, whether the generator was called from a model or from
``nixproc-generate-config``.
"""
from __future__ import annotations

import sys


def trace(message: str) -> None:
    """Print ``trace: <message>`` on standard error."""
    sys.stderr.write(f"trace: {message}\n")
    sys.stderr.flush()
