"""Dysnomia's ``bsdrc-script`` module: run a component's BSD rc scripts (SPEC §6.2).

Activation runs ``<script> onestart`` for each ``etc/rc.d/*`` in name
order; with ``enableAtBoot=1`` it instead links the script into the rc.d
directory, appends ``<name>_enabled=YES`` to ``rc.conf`` and runs
``start``. Deactivation goes in reverse: ``onestop`` (failures ignored, as
upstream: a script whose processes all got killed reports failure), or
``stop`` and the link and rc.conf line removed.

Container properties: ``enableAtBoot``, and our additions ``bsdrcTargetDir``
(``/usr/local/etc/rc.d``, where rc(8) looks; upstream links into
``/usr/local/etc``) and ``rcConfFile`` (``/etc/rc.conf``). Unlike upstream,
a failing start stops the scripts started so far.
"""
from __future__ import annotations

import os

from nixproc_disnix.dysnomia.accounts import created_accounts, delete_accounts
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.errors import DeployError
from nixproc_disnix.idassign.output import write_atomically
from nixproc_disnix.store.roots import replace_symlink


def _scripts(call: ModuleCall) -> list[str]:
    return call.entries("etc", "rc.d")


def _target_dir(call: ModuleCall) -> str:
    return call.get("bsdrcTargetDir", "/usr/local/etc/rc.d")


def _rc_conf(call: ModuleCall) -> str:
    return call.get("rcConfFile", "/etc/rc.conf")


def _enable_line(script: str) -> str:
    return f"{script}_enabled=YES"


def _start(call: ModuleCall, script: str) -> None:
    if not call.flag("enableAtBoot"):
        call.run([call.component_path("etc", "rc.d", script), "onestart"])
        return
    installed = os.path.join(_target_dir(call), script)
    os.makedirs(_target_dir(call), exist_ok=True)
    replace_symlink(call.component_path("etc", "rc.d", script), installed)
    try:
        with open(_rc_conf(call), "a", encoding="utf-8") as rc_conf:
            rc_conf.write(_enable_line(script) + "\n")
    except OSError as error:
        raise DeployError(f"bsdrc-script: cannot enable {script} in {_rc_conf(call)}: {error.strerror}") from None
    call.run([installed, "start"])


def _stop(call: ModuleCall, script: str) -> None:
    if not call.flag("enableAtBoot"):
        call.run([call.component_path("etc", "rc.d", script), "onestop"], check=False)
        return
    installed = os.path.join(_target_dir(call), script)
    if os.path.lexists(installed):
        call.run([installed, "stop"], check=False)
        os.unlink(installed)
    _remove_line(_rc_conf(call), _enable_line(script))


def _remove_line(path: str, line: str) -> None:
    """Drop every ``line`` from the file at ``path`` (replaced atomically), keeping the rest as it was."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read().splitlines(keepends=True)
    except FileNotFoundError:
        return
    kept = [entry for entry in lines if entry.rstrip("\n") != line]
    if kept != lines:
        write_atomically(path, "".join(kept))


def activate(call: ModuleCall) -> None:
    started: list[str] = []
    with created_accounts(call):
        try:
            for script in _scripts(call):
                started.append(script)
                _start(call, script)
        except BaseException:
            for script in reversed(started):
                _stop(call, script)
            raise
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    for script in reversed(_scripts(call)):
        _stop(call, script)
    delete_accounts(call)
    call.unmark_active()
