"""Run deeply recursive work (parsing, printing, evaluating big models) safely.

Nix code nests deeply (long ``//`` chains, big lists, recursion over lists);
our recursive tree walkers need more than Python's default stack.  We run them
in a thread with a large stack and a matching recursion limit.
"""
from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

STACK_BYTES = 1 << 30
RECURSION_LIMIT = 1_000_000


def run_deep(fn: Callable[[], T]) -> T:
    """Call ``fn`` on a thread with a 1 GiB stack; re-raise whatever it raises."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed to the caller's thread unchanged
            error.append(exc)

    old_stack = threading.stack_size(STACK_BYTES)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=target, name="nixproc-deep")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]
    return result[0]
