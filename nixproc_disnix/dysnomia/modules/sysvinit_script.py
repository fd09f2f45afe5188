"""Dysnomia's ``sysvinit-script`` module: run a component's init scripts of one runlevel (SPEC §6.2).

Activation runs ``<link> start`` for every start link (``S<NN><name>``) of
``etc/rc.d/rc<runlevel>.d`` in name order, deactivation ``<link> stop`` in
reverse. Container property: ``runlevel`` (3). Unlike upstream, kill links
(``K<NN>``, for the runlevels a process must not run in) are not started,
and a failing start also stops the scripts started so far (the failing one
included), so a failed activation leaves nothing running.
"""
from __future__ import annotations

from nixproc_disnix.dysnomia.accounts import created_accounts, delete_accounts
from nixproc_disnix.dysnomia.module import ModuleCall


def _scripts(call: ModuleCall) -> list[str]:
    """The start links of the runlevel (``S<NN><name>``), in start order."""
    directory = ("etc", "rc.d", f"rc{call.get('runlevel', '3')}.d")
    return [call.component_path(*directory, entry) for entry in call.entries(*directory) if entry.startswith("S")]


def activate(call: ModuleCall) -> None:
    started: list[str] = []
    scripts = _scripts(call)
    if not scripts:
        call.report(f"notice: '{call.component_name}' has no start links for runlevel {call.get('runlevel', '3')}")
    with created_accounts(call):
        try:
            for script in scripts:
                started.append(script)  # a failed start may have left its process behind: stop it too
                call.run([script, "start"])
        except BaseException:
            for script in reversed(started):
                call.run([script, "stop"], check=False)
            raise
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    for script in reversed(_scripts(call)):
        call.run([script, "stop"])
    delete_accounts(call)
    call.unmark_active()
