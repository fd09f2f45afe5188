"""Deploying cygrunsrv profiles: install Cygwin services from their parameters files (SPEC §5.5).

A process's service is its output's ``<service>-cygrunsrvparams``, one
``cygrunsrv`` argument per line. Starting runs ``cygrunsrv --install
<service>`` with those lines as arguments, byte for byte (no shell, no
``xargs``: a line keeps its quotes, spaces and backslashes), then
``cygrunsrv --start <service>``; stopping runs ``--stop`` (unless
``--query`` says it is stopped) and ``--remove``, nothing when it is not
installed. Upstream only echoes the install command; here it runs.
Nothing is copied anywhere, so activation is a no-op.

cygrunsrv only exists on Windows: the tests run this against a recording
stand-in ``cygrunsrv`` that checks each line arrives as one argument.
"""
from __future__ import annotations

import os
import re

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile

PARAMS_SUFFIX = "-cygrunsrvparams"
_STATE = re.compile(r"^Current State\s*:\s*(\S+)", re.MULTILINE)


def services_of(process: DeployedProcess) -> dict[str, str]:
    """``process``'s service names → their parameters files."""
    return {name.removesuffix(PARAMS_SUFFIX): os.path.join(process.out_path, name)
            for name in sorted(os.listdir(process.out_path)) if name.endswith(PARAMS_SUFFIX)}


def params_arguments(params_file: str) -> list[str]:
    """The file's lines, each one argument, exactly as written (undecodable bytes kept as the OS gets them)."""
    with open(params_file, "rb") as handle:
        content = handle.read()
    return [os.fsdecode(line) for line in content.removesuffix(b"\n").split(b"\n")] if content else []


class CygrunsrvSwitcher:
    """Install, start, stop and remove services with ``cygrunsrv``."""

    commands = ("cygrunsrv",)

    def __init__(self, report: Report) -> None:
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        for service in services_of(process):
            state = self._state(service)
            if state is None:
                continue
            if state != "Stopped":
                run_reported(["cygrunsrv", "--stop", service], self.report, f"stop {process.name}")
            run_reported(["cygrunsrv", "--remove", service], self.report, f"remove {process.name}")

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Nothing to put in place: the services are installed from the outputs' files when they start."""

    def start(self, process: DeployedProcess) -> None:
        for service, params_file in services_of(process).items():
            run_reported(["cygrunsrv", "--install", service, *params_arguments(params_file)], self.report,
                         f"install {process.name}", f"cygrunsrv --install {service}")
            run_reported(["cygrunsrv", "--start", service], self.report, f"start {process.name}")

    def status(self, process: DeployedProcess) -> ProcessStatus:
        """RUNNING when every service's ``Current State`` is ``Running``; UNKNOWN for a process without one."""
        services = services_of(process)
        if not services:
            return ProcessStatus.UNKNOWN
        running = all(self._state(service) == "Running" for service in services)
        return ProcessStatus.RUNNING if running else ProcessStatus.STOPPED

    @staticmethod
    def _state(service: str) -> str | None:
        """``Current State`` from ``cygrunsrv --query``; None when the service is not installed."""
        code, output = run_command(["cygrunsrv", "--query", service])
        found = _STATE.search(output)
        return found.group(1) if code == 0 and found else None


def switcher(context: SwitchContext) -> CygrunsrvSwitcher:
    """The cygrunsrv :class:`~nixproc_disnix.backends.common.switcher.Switcher`."""
    return CygrunsrvSwitcher(context.report)
