"""Dysnomia's ``systemd-unit`` module: install a component's units and start them (SPEC §6.2).

Activation links every file of ``etc/systemd/system`` into the target
directory, links each service (or its same-named ``.socket`` or ``.timer``
instead) into the root target's wants directory so it starts at boot,
reloads systemd and starts each service (or that socket or timer).
Deactivation stops the installed sockets, timers and services, removes
every link, reloads, and deletes the accounts (retried: a stopped
process may still be ending).

Container properties: ``systemdTargetDir`` (``/etc/systemd-mutable/system``;
for user services ``~/.config/systemd/user``), ``systemdRootTarget``
(``dysnomia.target.wants``), ``systemdUserServices`` (``1``: ``--user``).
Unlike upstream, user mode reloads only the user manager.
"""
from __future__ import annotations

import os
import time

from nixproc_disnix.dysnomia.accounts import created_accounts, delete_accounts
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.errors import DeployError
from nixproc_disnix.store.roots import replace_symlink

UNITS = ("etc", "systemd", "system")
ACCOUNT_ATTEMPTS = 10


def _target_dir(call: ModuleCall) -> str:
    default = "~/.config/systemd/user" if call.flag("systemdUserServices") else "/etc/systemd-mutable/system"
    return os.path.expanduser(call.get("systemdTargetDir", default))


def _wants_dir(call: ModuleCall) -> str:
    return os.path.join(_target_dir(call), call.get("systemdRootTarget", "dysnomia.target.wants"))


def _systemctl(call: ModuleCall, *args: str) -> list[str]:
    return ["systemctl", *(["--user"] if call.flag("systemdUserServices") else []), *args]


def _started_units(call: ModuleCall) -> list[str]:
    """What activation starts: each service, or its same-named socket or timer when the component has one."""
    units = set(call.entries(*UNITS))
    started = []
    for service in sorted(unit for unit in units if unit.endswith(".service")):
        stem = service.removesuffix(".service")
        started.append(next((f"{stem}{kind}" for kind in (".socket", ".timer") if f"{stem}{kind}" in units), service))
    return started


def _cleanup(call: ModuleCall, check: bool = True) -> None:
    """Stop what is installed (sockets, timers, then services), remove every link, reload."""
    target_dir, wants_dir = _target_dir(call), _wants_dir(call)
    units = call.entries(*UNITS)
    for suffix in (".socket", ".timer", ".service"):
        for unit in (unit for unit in units if unit.endswith(suffix)):
            if os.path.isfile(os.path.join(target_dir, unit)):
                call.run(_systemctl(call, "stop", unit), check)
    for unit in units:
        for directory in (wants_dir, target_dir):
            if os.path.lexists(os.path.join(directory, unit)):
                os.unlink(os.path.join(directory, unit))
    call.run(_systemctl(call, "daemon-reload"), check)


def activate(call: ModuleCall) -> None:
    target_dir, wants_dir = _target_dir(call), _wants_dir(call)
    with created_accounts(call):
        try:
            os.makedirs(wants_dir, exist_ok=True)
            for unit in call.entries(*UNITS):
                replace_symlink(call.component_path(*UNITS, unit), os.path.join(target_dir, unit))
            started = _started_units(call)
            for unit in started:
                replace_symlink(call.component_path(*UNITS, unit), os.path.join(wants_dir, unit))
            call.run(_systemctl(call, "daemon-reload"))
            for unit in started:
                call.run(_systemctl(call, "start", unit))
        except BaseException:
            _cleanup(call, check=False)
            raise
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    _cleanup(call)
    for attempt in range(ACCOUNT_ATTEMPTS):
        try:
            delete_accounts(call)
            break
        except DeployError:
            if attempt == ACCOUNT_ATTEMPTS - 1:
                raise
            time.sleep(1)
    call.unmark_active()
