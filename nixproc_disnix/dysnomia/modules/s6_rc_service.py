"""Dysnomia's ``s6-rc-service`` module: add a component's service definitions to a live s6-rc (SPEC §6.2, §5.5).

Activation links each ``etc/s6/sv/*`` into the service directory and adds
it to the bundle, compiles the service directory into a database named
after the step and the component's hash, initialises s6-rc with it (or
updates the live state to it, deleting the one it replaces), brings the
bundle up and points ``compiled`` at the database. Deactivation removes the services from the
bundle and the service directory and does the same.

Container properties: ``scanDir`` (``/var/run/service``), ``serviceDir``
(``/var/lib/s6/sv``), ``compileDir`` (``/var/etc/s6/rc``), ``liveDir``
(``/var/run/s6-rc``), ``bundleName`` (``default``). Unlike upstream, users
and groups are deleted on deactivation only, a failed activation removes
the component's services again, and every step compiles afresh (upstream
reuses a database compiled earlier under the same name, which lacks the
services other components added since).
"""
from __future__ import annotations

import os
import shutil

from nixproc_disnix.dysnomia.accounts import created_accounts, delete_accounts
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.idassign.output import write_atomically
from nixproc_disnix.store.roots import replace_symlink

SERVICES = ("etc", "s6", "sv")


def _dirs(call: ModuleCall) -> tuple[str, str, str, str, str]:
    """scanDir, serviceDir, compileDir, liveDir, bundleName."""
    return (
        call.get("scanDir", "/var/run/service"),
        call.get("serviceDir", "/var/lib/s6/sv"),
        call.get("compileDir", "/var/etc/s6/rc"),
        call.get("liveDir", "/var/run/s6-rc"),
        call.get("bundleName", "default"),
    )


def _contents(bundle_dir: str) -> list[str]:
    try:
        with open(os.path.join(bundle_dir, "contents"), encoding="utf-8") as handle:
            return handle.read().splitlines()
    except FileNotFoundError:
        return []


def _fresh_database(compile_dir: str, label: str) -> str:
    """A database path not used yet: ``compiled-<label>``, numbered when that exists."""
    database, number = os.path.join(compile_dir, f"compiled-{label}"), 1
    while os.path.lexists(database):
        database, number = os.path.join(compile_dir, f"compiled-{label}-{number}"), number + 1
    return database


def _compile_and_update(call: ModuleCall, step: str, check: bool = True) -> None:
    """Compile the service directory as it is now, make it live, bring the bundle up."""
    scan_dir, service_dir, compile_dir, live_dir, bundle = _dirs(call)
    os.makedirs(compile_dir, exist_ok=True)
    database = _fresh_database(compile_dir, f"{step}-{os.path.basename(call.component)[:32]}")
    current = os.path.join(compile_dir, "compiled")
    call.run(["s6-rc-compile", database, service_dir], check)
    if os.path.isdir(live_dir):
        if not os.path.exists(current) or os.path.realpath(current) != os.path.realpath(database):
            previous = os.path.realpath(current) if os.path.exists(current) else None
            call.run(["s6-rc-update", "-l", live_dir, database], check)
            if previous is not None:
                shutil.rmtree(previous, ignore_errors=True)
    else:
        call.run(["s6-rc-init", "-c", database, "-l", live_dir, scan_dir], check)
    call.run(["s6-rc", "-l", live_dir, "-u", "change", bundle], check)
    replace_symlink(database, current)


def _remove_services(call: ModuleCall, step: str, check: bool = True) -> None:
    _, service_dir, _, _, bundle = _dirs(call)
    services = call.entries(*SERVICES)
    bundle_dir = os.path.join(service_dir, bundle)
    contents = _contents(bundle_dir)
    if any(service in contents for service in services):
        write_atomically(os.path.join(bundle_dir, "contents"),
                         "".join(f"{entry}\n" for entry in contents if entry not in services))
    for service in services:
        if os.path.lexists(os.path.join(service_dir, service)):
            os.unlink(os.path.join(service_dir, service))
    _compile_and_update(call, step, check)


def activate(call: ModuleCall) -> None:
    _, service_dir, _, _, bundle = _dirs(call)
    bundle_dir = os.path.join(service_dir, bundle)
    with created_accounts(call):
        try:
            if not os.path.isdir(bundle_dir):
                os.makedirs(bundle_dir)
                write_atomically(os.path.join(bundle_dir, "type"), "bundle\n")
            contents = _contents(bundle_dir)
            for service in call.entries(*SERVICES):
                replace_symlink(call.component_path(*SERVICES, service), os.path.join(service_dir, service))
                if service not in contents:
                    contents.append(service)
            write_atomically(os.path.join(bundle_dir, "contents"), "".join(f"{entry}\n" for entry in contents))
            _compile_and_update(call, "activate")
        except BaseException:
            _remove_services(call, "rollback", check=False)
            raise
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    _remove_services(call, "deactivate")
    delete_accounts(call)
    call.unmark_active()
