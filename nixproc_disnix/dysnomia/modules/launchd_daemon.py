"""Dysnomia's ``launchd-daemon`` module: load a component's property lists into launchd (SPEC §6.2).

Activation copies each ``Library/LaunchDaemons/*.plist`` into the target
directory (launchd refuses links), then ``launchctl load -w`` and
``launchctl start <label>``; deactivation stops, unloads and deletes each
installed copy. Container property: ``launchdTargetDir``
(``/Library/LaunchDaemons``).
"""
from __future__ import annotations

import os
import shutil

from nixproc_disnix.dysnomia.accounts import created_accounts, delete_accounts
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.errors import DeployError

DAEMONS = ("Library", "LaunchDaemons")


def _target_dir(call: ModuleCall) -> str:
    return call.get("launchdTargetDir", "/Library/LaunchDaemons")


def _cleanup(call: ModuleCall, check: bool = True) -> None:
    for plist in call.entries(*DAEMONS):
        installed = os.path.join(_target_dir(call), plist)
        if os.path.isfile(installed):
            call.run(["launchctl", "stop", plist.removesuffix(".plist")], check)
            call.run(["launchctl", "unload", installed], check)
            os.unlink(installed)


def activate(call: ModuleCall) -> None:
    with created_accounts(call):
        try:
            for plist in call.entries(*DAEMONS):
                installed = os.path.join(_target_dir(call), plist)
                try:
                    shutil.copyfile(call.component_path(*DAEMONS, plist), installed)
                except OSError as error:
                    raise DeployError(f"launchd-daemon: cannot install {installed}: {error.strerror}") from None
                call.run(["launchctl", "load", "-w", installed])
                call.run(["launchctl", "start", plist.removesuffix(".plist")])
        except BaseException:
            _cleanup(call, check=False)
            raise
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    _cleanup(call)
    delete_accounts(call)
    call.unmark_active()
