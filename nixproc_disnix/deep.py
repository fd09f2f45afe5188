"""Run deeply recursive work (parsing, printing, evaluating big models) safely.

Nix code nests deeply (long ``//`` chains, big lists, recursion over lists);
our recursive tree walkers need more than Python's default stack.  We run them
in a thread with a large stack and a matching recursion limit.

Running out of that stack is Nix's ``stack overflow (possible infinite
recursion)`` error.  Ctrl-C reaches only the main thread, which is waiting
for the work: it passes the ``KeyboardInterrupt`` on to the working thread,
so a switch can still undo what it started, and re-raises whatever the work
then raises; a second Ctrl-C stops waiting (the work dies with the process).
Work that waits for threads of its own passes it on with :func:`run_parallel`.
"""
from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Callable, TypeVar

from .errors import EvalError

T = TypeVar("T")
A = TypeVar("A")

STACK_BYTES = 1 << 30
RECURSION_LIMIT = 1_000_000
STACK_OVERFLOW = "stack overflow (possible infinite recursion)"


def run_deep(fn: Callable[[], T], recursion_limit: int = RECURSION_LIMIT) -> T:
    """Call ``fn`` on a thread with a 1 GiB stack; re-raise whatever it raises.

    ``recursion_limit`` is how many Python frames the work may nest (at least
    the current limit); a smaller one finds infinite recursion sooner.
    """
    result: list[T] = []
    error: list[BaseException] = []
    finished = threading.Event()

    def target() -> None:
        try:
            try:
                result.append(fn())
            except RecursionError:
                error.append(EvalError(STACK_OVERFLOW))
            except BaseException as exc:  # handed to the caller's thread unchanged
                error.append(exc)
        except KeyboardInterrupt as late:  # passed on just as fn finished
            error.append(late)
        finally:
            finished.set()

    old_stack = threading.stack_size(STACK_BYTES)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, recursion_limit))
    try:
        thread = threading.Thread(target=target, name="nixproc-deep", daemon=True)
        thread.start()
        _wait_passing_interrupts(thread, finished)
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]
    if not result:  # the interrupt ended the thread as it finished
        raise KeyboardInterrupt
    return result[0]


def _wait_passing_interrupts(thread: threading.Thread, finished: threading.Event) -> None:
    """Wait for ``thread`` to set ``finished``; the first Ctrl-C goes on to it, a second one is raised here.

    Not ``thread.join()``: an interrupted join takes the thread for finished (CPython 3.11).
    """
    interrupted = False
    while True:
        try:
            if finished.wait(0.5) or not thread.is_alive():
                return
        except KeyboardInterrupt:
            if interrupted:
                raise
            interrupted = True
            if not finished.is_set() and thread.ident is not None:
                _interrupt(thread.ident)


def _interrupt(thread_id: int) -> None:
    """Raise ``KeyboardInterrupt`` in thread ``thread_id`` at its next Python instruction."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(KeyboardInterrupt))


def run_parallel(action: Callable[[A], object], items: Sequence[A], max_workers: int) -> tuple[list[Future], bool]:
    """Run ``action`` on every item, ``max_workers`` at once; the futures once all are done, and whether Ctrl-C came.

    A ``KeyboardInterrupt`` reaching the waiting thread (see :func:`run_deep`)
    cancels the items not started and interrupts the running ones, whose
    futures then hold the ``KeyboardInterrupt``; it is not re-raised, so the
    caller can first take note of what was done.
    """
    lock = threading.Lock()
    running: set[int] = set()

    def run(item: A) -> object:
        ident = threading.get_ident()
        with lock:
            running.add(ident)
        try:
            return action(item)
        finally:
            with lock:
                running.discard(ident)

    interrupted = False
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers))
    futures: list[Future] = []
    try:
        futures.extend(pool.submit(run, item) for item in items)
        while wait(futures, timeout=0.1).not_done:  # a timeout, so that an interrupt gets through
            pass
    except KeyboardInterrupt:
        interrupted = True
        for future in futures:
            future.cancel()
        with lock:
            for ident in running:
                _interrupt(ident)
    try:
        pool.shutdown(wait=True)
    except KeyboardInterrupt:  # arrived just as the waiting ended
        interrupted = True
        pool.shutdown(wait=True)
    return futures, interrupted
