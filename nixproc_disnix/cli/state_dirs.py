"""The state-directory options of every command, each falling back to its NIXPROC_* variable (SPEC §5.1)."""
from __future__ import annotations

import os
from typing import Any, Callable

import click

from ..model.state_dirs import StateDirs

STATE_DIR_OPTIONS = [
    ("--state-dir", "stateDir", "NIXPROC_STATE_DIR"),
    ("--runtime-dir", "runtimeDir", "NIXPROC_RUNTIME_DIR"),
    ("--log-dir", "logDir", "NIXPROC_LOG_DIR"),
    ("--tmp-dir", "tmpDir", "NIXPROC_TMP_DIR"),
    ("--cache-dir", "cacheDir", "NIXPROC_CACHE_DIR"),
    ("--spool-dir", "spoolDir", "NIXPROC_SPOOL_DIR"),
    ("--lock-dir", "lockDir", "NIXPROC_LOCK_DIR"),
    ("--lib-dir", "libDir", "NIXPROC_LIB_DIR"),
]
"""--option, processes-model parameter, environment variable."""


def state_dir_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the directory options and ``--force-disable-user-change`` to ``command``."""
    command = click.option(
        "--force-disable-user-change", is_flag=True,
        help="Never create users or groups nor switch user (env NIXPROC_FORCE_DISABLE_USER_CHANGE=1).",
    )(command)
    for option, parameter, variable in reversed(STATE_DIR_OPTIONS):
        command = click.option(option, parameter, envvar=variable,
                               help=f"Passed to the model as {parameter} (env {variable}).")(command)
    return command


def state_dirs(options: dict[str, Any]) -> StateDirs:
    """Take the options :func:`state_dir_options` added out of ``options`` (a command's keyword arguments)."""
    given = {parameter: options.pop(parameter) or None for _, parameter, _ in STATE_DIR_OPTIONS}
    force = options.pop("force_disable_user_change") or os.environ.get("NIXPROC_FORCE_DISABLE_USER_CHANGE") == "1"
    return StateDirs(**given, force_disable_user_change=force)
