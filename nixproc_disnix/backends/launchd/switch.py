"""Deploying launchd profiles: copy their plists where launchd looks and drive them with ``launchctl`` (SPEC §5.5).

A process's jobs are its output's ``Library/LaunchDaemons/<Label>.plist``.
Activation copies each into ``LAUNCHD_TARGET_DIR`` (default
``/Library/LaunchDaemons``; copies, as launchd refuses symbolic links)
and removes the copies only the previous profile had. A job starts with
``launchctl load -w <copy>`` and ``launchctl start <Label>``, stops with
``launchctl stop <Label>`` and ``launchctl unload <copy>`` (nothing to do
when ``launchctl list <Label>`` does not know it), and runs when
``launchctl list <Label>`` shows its ``PID``. As upstream, launchd has
no dependencies of its own; the switch engine's order is the only one.

launchd exists only on macOS: the tests run this against a recording
stand-in ``launchctl``, which loads the copied plists with :mod:`plistlib`.
"""
from __future__ import annotations

import os
import re

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.backends.common.target_dir import Placement, install_entries, output_entries, profile_entries
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile

DAEMONS = os.path.join("Library", "LaunchDaemons")
DEFAULT_TARGET_DIR = "/Library/LaunchDaemons"
_PID = re.compile(r'^\s*"PID"\s*=\s*[0-9]+;$', re.MULTILINE)


def jobs_of(process: DeployedProcess) -> dict[str, str]:
    """``process``'s job labels → their plist file names."""
    return {name.removesuffix(".plist"): name for name in output_entries(process.out_path, DAEMONS)
            if name.endswith(".plist")}


class LaunchdSwitcher:
    """Copy plists into the target directory and load, start, stop and unload them with ``launchctl``."""

    commands = ("launchctl",)

    def __init__(self, target: str, report: Report) -> None:
        self.target = target
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        for label, file_name in jobs_of(process).items():
            if run_command(["launchctl", "list", label])[0] != 0:
                continue
            run_reported(["launchctl", "stop", label], self.report, f"stop {process.name}")
            run_reported(["launchctl", "unload", os.path.join(self.target, file_name)], self.report,
                         f"unload {process.name}")

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Copy ``profile``'s plists in place of ``previous``'s."""
        install_entries(self.target, profile_entries(profile, DAEMONS), profile_entries(previous, DAEMONS),
                        Placement.COPY)

    def start(self, process: DeployedProcess) -> None:
        for label, file_name in jobs_of(process).items():
            run_reported(["launchctl", "load", "-w", os.path.join(self.target, file_name)], self.report,
                         f"load {process.name}")
            run_reported(["launchctl", "start", label], self.report, f"start {process.name}")

    def status(self, process: DeployedProcess) -> ProcessStatus:
        """RUNNING when every job is loaded and has a PID, else STOPPED; UNKNOWN for a process without jobs."""
        labels = jobs_of(process)
        if not labels:
            return ProcessStatus.UNKNOWN
        for label in labels:
            code, output = run_command(["launchctl", "list", label])
            if code != 0 or not _PID.search(output):
                return ProcessStatus.STOPPED
        return ProcessStatus.RUNNING


def switcher(context: SwitchContext) -> LaunchdSwitcher:
    """The launchd :class:`~nixproc_disnix.backends.common.switcher.Switcher`; its directory from the environment."""
    return LaunchdSwitcher(os.environ.get("LAUNCHD_TARGET_DIR") or DEFAULT_TARGET_DIR, context.report)
