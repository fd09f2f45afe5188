"""Deploying systemd profiles: link their units where systemd looks and drive them with ``systemctl`` (SPEC §5.5).

The target directory is ``SYSTEMD_TARGET_DIR``, else ``/etc/systemd/system``,
or with ``--user`` ``$XDG_CONFIG_HOME/systemd/user`` (``~/.config/systemd/user``;
created); ``--user`` also goes to every ``systemctl``. Activation links each
unit of the new profile, and its ``.wants`` directory, to the process's
output, removes the links only the previous profile had, and runs
``systemctl daemon-reload`` when a link changed. A process is stopped
and started as its units (``systemctl stop``/``start``) and is running when
``systemctl is-active`` says ``active``.

Unlike upstream, which starts every unit of the new profile, only new and
changed processes are started, dependencies first (the switch engine's
plan); unchanged ones keep running untouched. Stopping a unit systemd does
not know (``systemctl`` exit status 5) succeeds: it does not run.

systemd is not PID 1 here, so the tests run this against a recording
stand-in ``systemctl``; the linked units are loaded by the real
``systemd-analyze verify``.
"""
from __future__ import annotations

import os

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext, run_command, run_reported
from nixproc_disnix.backends.common.target_dir import Placement, install_entries, output_entries, profile_entries
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile

UNITS = os.path.join("etc", "systemd", "system")
"""Where an output keeps its units and ``.wants`` directories."""
DEFAULT_TARGET_DIR = "/etc/systemd/system"
UNIT_NOT_LOADED = 5
"""``systemctl``'s exit status for a unit it has no file for."""
_RUNNING = ("active", "reloading")
_STOPPED = ("inactive", "failed", "activating", "deactivating")
"""``is-active`` answers for a unit that is not (yet) serving; ``activating`` is polled until it is."""


def target_dir(user: bool) -> str:
    """``SYSTEMD_TARGET_DIR``, else the system or (``--user``) the user unit directory."""
    if os.environ.get("SYSTEMD_TARGET_DIR"):
        return os.environ["SYSTEMD_TARGET_DIR"]
    if not user:
        return DEFAULT_TARGET_DIR
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "systemd", "user")


def units_of(process: DeployedProcess) -> list[str]:
    """The unit names ``process``'s output provides (its ``.wants`` directories aside)."""
    return [name for name in output_entries(process.out_path, UNITS) if not name.endswith(".wants")]


class SystemdSwitcher:
    """Link units into the target directory and start, stop and ask ``systemctl`` about them."""

    commands = ("systemctl",)

    def __init__(self, target: str, user: bool, report: Report) -> None:
        self.target = target
        self.systemctl = ["systemctl", *(["--user"] if user else [])]
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        units = units_of(process)
        if units:
            run_reported([*self.systemctl, "stop", *units], self.report, f"stop {process.name}",
                         accepted=(0, UNIT_NOT_LOADED))

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Link ``profile``'s units and ``.wants`` directories in place of ``previous``'s; reload if any changed."""
        new, old = profile_entries(profile, UNITS), profile_entries(previous, UNITS)
        if install_entries(self.target, new, old, Placement.LINK):
            run_reported([*self.systemctl, "daemon-reload"], self.report, "reload systemd's units")

    def start(self, process: DeployedProcess) -> None:
        units = units_of(process)
        if units:
            run_reported([*self.systemctl, "start", *units], self.report, f"start {process.name}")

    def status(self, process: DeployedProcess) -> ProcessStatus:
        """RUNNING when every unit is active, STOPPED when one is not (yet), UNKNOWN for other answers."""
        units = units_of(process)
        if not units:
            return ProcessStatus.UNKNOWN
        _, output = run_command([*self.systemctl, "is-active", *units])
        states = output.split()
        if len(states) == len(units) and all(state in _RUNNING for state in states):
            return ProcessStatus.RUNNING
        if any(state in _STOPPED for state in states):
            return ProcessStatus.STOPPED
        return ProcessStatus.UNKNOWN


def switcher(context: SwitchContext) -> SystemdSwitcher:
    """The systemd :class:`~nixproc_disnix.backends.common.switcher.Switcher`, system-wide or (``--user``) the user's."""
    return SystemdSwitcher(target_dir(context.user), context.user, context.report)
