"""How far long work has got: builds count derivations, switches and deployments their stops and starts.

The library tells a :data:`Progress` callable it is given about each
:class:`Step` and never prints; how steps are shown (a bar on a terminal,
one line each in a log, nothing) is the command line's choice
(:mod:`nixproc_disnix.cli.progress`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

Phase = Literal["build", "stop", "start"]
"""Derivations built (their ``.drv`` paths), processes stopped, processes started (their names)."""


@dataclass(frozen=True)
class Step:
    """``name`` begins (``finished`` False) or has finished; ``done`` of the phase's ``total`` steps are finished."""

    phase: Phase
    name: str
    done: int
    total: int
    finished: bool


Progress = Callable[[Step], None]
"""Told about every step; never called by two threads at once, though possibly from a worker thread."""


class PhaseCounter:
    """Counts one phase's finished steps, which may run in parallel threads, and tells ``progress`` of each."""

    def __init__(self, progress: Progress | None, phase: Phase, total: int) -> None:
        self._progress = progress
        self._phase = phase
        self._total = total
        self._done = 0
        self._lock = threading.Lock()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Report ``name`` beginning, run the body, report it finished; a step that raises is not counted."""
        progress = self._progress
        if progress is None:
            yield
            return
        with self._lock:
            progress(Step(self._phase, name, self._done, self._total, False))
        yield
        with self._lock:
            self._done += 1
            progress(Step(self._phase, name, self._done, self._total, True))


class StepLog:
    """A :data:`Progress` that remembers which steps finished, and passes every step on to ``forward``."""

    def __init__(self, forward: Progress | None = None) -> None:
        self._forward = forward
        self._finished: list[Step] = []

    def __call__(self, step: Step) -> None:
        if step.finished:
            self._finished.append(step)
        if self._forward is not None:
            self._forward(step)

    def finished(self, phase: Phase) -> list[str]:
        """The names of ``phase``'s finished steps, in the order they finished."""
        return [step.name for step in self._finished if step.phase == phase]
