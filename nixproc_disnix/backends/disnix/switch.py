"""Deploying disnix profiles on this machine: each process activated by our Dysnomia ``process`` module.

Upstream's ``nixproc-disnix-deploy`` hands a Disnix manifest to
``disnix-deploy``, which calls Dysnomia's ``process`` module on the
coordinator's own machine. Here the switch engine orders the processes
and calls that module directly (:mod:`nixproc_disnix.dysnomia.modules.process`),
so no Disnix installation is needed: the wrapper in ``bin/`` starts the
process, ``etc/dysnomia/process/<name>`` says where its PID file is. The
container properties are the deployment's directories (``runtimeDir``)
and ``DYSNOMIA_STATEDIR`` under the state directory, where Dysnomia keeps
its activation markers.
"""
from __future__ import annotations

import os

from nixproc_disnix.backends.common.switcher import ProcessStatus, Report, SwitchContext
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.dysnomia.modules import process as process_module
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.state_dirs import StateDirs


class DisnixSwitcher:
    """Start and stop processes as Dysnomia's ``process`` module does."""

    def __init__(self, state_dirs: StateDirs, report: Report) -> None:
        settings = state_dirs.backend_settings()
        self.environment = {
            **os.environ,
            "runtimeDir": settings.runtime_dir,
            "DYSNOMIA_STATEDIR": os.path.join(settings.state_dir, "lib", "dysnomia"),
        }
        self.report = report

    def stop(self, process: DeployedProcess) -> None:
        process_module.deactivate(self._call("deactivate", process))

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        """Nothing to install: the wrappers run from the processes' outputs."""

    def start(self, process: DeployedProcess) -> None:
        process_module.activate(self._call("activate", process))

    def status(self, process: DeployedProcess) -> ProcessStatus:
        pid_file = process_module.process_config(self._call("status", process)).pid_file
        assert pid_file is not None
        return ProcessStatus.RUNNING if process_module.running_pid(pid_file) is not None else ProcessStatus.STOPPED

    def _call(self, activity: str, process: DeployedProcess) -> ModuleCall:
        return ModuleCall(type="process", activity=activity, component=process.out_path, container="",
                          environment=self.environment, report=self.report)


def switcher(context: SwitchContext) -> DisnixSwitcher:
    """The disnix :class:`~nixproc_disnix.backends.common.switcher.Switcher`."""
    return DisnixSwitcher(context.state_dirs, context.report)
