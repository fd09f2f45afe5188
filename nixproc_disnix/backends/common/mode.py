"""Daemon or foreground: which of a process's two start modes a backend uses (SPEC §2.1, §2.8).

A process given only ``process`` offers both modes and each backend takes its
preferred one; a process offering only one mode forces it. Upstream spells
this as ``if daemon != null then … else …`` (or the reverse) in every
generator; here it is decided once.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from nixproc_disnix.model.process import ManagedProcess, Scalar


class Mode(Enum):
    """How the executable behaves: forks into the background itself, or stays in the foreground."""

    DAEMON = "daemon"
    FOREGROUND = "foreground"


@dataclass(frozen=True)
class Invocation:
    """The executable a backend starts, with its full argument list and the mode it runs in."""

    executable: str
    args: list[Scalar]
    mode: Mode

    @property
    def is_daemon(self) -> bool:
        return self.mode is Mode.DAEMON


def invocation(process: ManagedProcess, mode: Mode) -> Invocation | None:
    """The invocation of exactly ``mode``, or None when the process does not offer it."""
    if mode is Mode.DAEMON:
        if process.daemon is None:
            return None
        return Invocation(process.daemon, list(process.daemon_args), Mode.DAEMON)
    if process.foreground_process is None:
        return None
    return Invocation(process.foreground_process, list(process.foreground_process_args), Mode.FOREGROUND)


def choose_invocation(process: ManagedProcess, preferred: Mode) -> Invocation | None:
    """The preferred mode if offered, else the other one; None when neither is.

    What to do with None differs per backend (an error, or nothing to start),
    so it is left to the caller.
    """
    other = Mode.FOREGROUND if preferred is Mode.DAEMON else Mode.DAEMON
    return invocation(process, preferred) or invocation(process, other)
