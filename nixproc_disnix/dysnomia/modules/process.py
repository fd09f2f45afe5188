"""Dysnomia's ``process`` module: start a component's process once, stop it by its PID file (SPEC §6.2).

The component names its start command in ``etc/dysnomia/process/<name>``
(``process=``, ``pidFile=``; what the disnix backend generates), or has a
single executable in ``bin/``. The command must start the process in the
background and return. Container properties: ``runtimeDir`` (``/var/run``),
where the PID file is when the component does not say, and ``timeout``
(1), how many seconds the PID file may take to appear.

Differences from upstream, each what a user would expect: a PID file left
by a process that no longer runs does not stop activation (upstream warns
and starts nothing); deactivation waits for the process to end, so a
redeployment can reuse its port at once; several process configurations
are an error instead of the last one silently winning.
"""
from __future__ import annotations

import os
import signal
import time

from nixproc_disnix.dysnomia.accounts import created_accounts, delete_accounts
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.dysnomia import ProcessConfig

STOP_TIMEOUT = 10.0
"""Seconds a process may take to end after SIGTERM before deactivation reports it."""


def process_config(call: ModuleCall) -> ProcessConfig:
    """What starts the component's process and where its PID file is."""
    configs = call.entries("etc", "dysnomia", "process")
    if len(configs) > 1:
        raise DeployError(f"process: component '{call.component}' has several process configurations: {', '.join(configs)}")
    if configs:
        config = ProcessConfig.read(call.component_path("etc", "dysnomia", "process", configs[0]))
    else:
        executables = call.entries("bin")
        if len(executables) != 1:
            what = "no executable" if not executables else f"several executables ({', '.join(executables)})"
            raise DeployError(f"process: component '{call.component}' has {what} in bin/ and no etc/dysnomia/process")
        config = ProcessConfig(process=call.component_path("bin", executables[0]))
    if config.pid_file is None:
        runtime_dir = call.get("runtimeDir", "/var/run")
        config = config.model_copy(update={"pid_file": f"{runtime_dir}/{os.path.basename(config.process)}.pid"})
    return config


def running_pid(pid_file: str) -> int | None:
    """The PID in ``pid_file`` if that process runs; None for no file, garbage, or a process gone."""
    try:
        with open(pid_file, encoding="ascii", errors="replace") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 0 and _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True


def activate(call: ModuleCall) -> None:
    config = process_config(call)
    assert config.pid_file is not None
    with created_accounts(call):
        if running_pid(config.pid_file) is not None:
            call.report(f"warning: process of '{call.component_name}' already runs ({config.pid_file}); not started again")
        else:
            call.run([config.process])
            timeout = _seconds(call.get("timeout", "1"))
            deadline = time.monotonic() + timeout
            while running_pid(config.pid_file) is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if running_pid(config.pid_file) is None:
                call.report(f"warning: no running process in {config.pid_file} after {timeout:g} s")
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    config = process_config(call)
    assert config.pid_file is not None
    pid = running_pid(config.pid_file)
    if pid is None:
        call.report(f"notice: no running process in {config.pid_file}; nothing to stop")
    else:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            raise DeployError(f"process: process {pid} of '{call.component_name}' did not end within {STOP_TIMEOUT:g} s")
    delete_accounts(call)
    call.unmark_active()


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        raise DeployError(f"process: container property timeout={value!r} is not a number of seconds") from None
