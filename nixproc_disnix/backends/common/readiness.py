"""A process's ``readiness`` check as a command line its manager can run (``nixproc-wait-ready``).

The switch engine polls every process's readiness whatever its manager
(:mod:`nixproc_disnix.deploy.switch`). A backend whose manager can gate a
start on a command also writes the check into its files, so starting a
process with the manager's own tools is readiness-gated as well: systemd
(``ExecStartPost``), s6-rc (``s6-notifyoncheck``), sysvinit (the script's
``start``), bsdrc (``start_postcmd``) and the disnix process wrapper (which
Dysnomia's activation waits for). supervisord only approximates it
(``startsecs``); launchd, cygrunsrv and docker have no such hook: the engine
alone checks those.

Every backend names the command by its absolute path and builds its
arguments here, once. Built from a model, that path is our tools package's
in the store (``BackendSettings.wait_ready``, set by the framework for a
process with a check), so the check goes wherever the process's closure
goes: into an image, onto a Disnix target.
"""
from __future__ import annotations

import math
import os
import sysconfig

from nixproc_disnix.model.readiness import Readiness

WAIT_READY = os.path.join(sysconfig.get_path("scripts"), "nixproc-wait-ready")
"""Where this installation's ``nixproc-wait-ready`` console script lives."""


def wait_ready_argv(
    readiness: Readiness, name: str, program: str | None = None, log_file: str | None = None, once: bool = False
) -> list[str] | None:
    """``nixproc-wait-ready``'s argv checking ``readiness`` of process ``name`` (``once``: a single attempt);
    ``program`` None is this installation's.

    A ``logLine`` check reads ``log_file``, the file the backend writes the
    process's output to; without one the backend cannot check it (None),
    and only the engine does, through ``nixproc logs``' knowledge of the manager.
    """
    argv = [program or WAIT_READY, "--name", name, "--timeout", str(readiness.timeout), "--interval", str(readiness.interval)]
    if once:
        argv.append("--once")
    if readiness.tcp_port is not None:
        return [*argv, "--tcp-port", str(readiness.tcp_port)]
    if readiness.http is not None:
        return [*argv, "--http", readiness.http]
    if readiness.command is not None:
        return [*argv, "--", *readiness.command]
    if log_file is None:
        return None
    return [*argv, "--log-line", readiness.log_line or "", "--log-file", log_file]


def whole_seconds(seconds: int | float) -> int:
    """``seconds`` rounded up, for settings that take whole seconds."""
    return math.ceil(seconds)
