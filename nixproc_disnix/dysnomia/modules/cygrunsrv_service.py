"""Dysnomia's ``cygrunsrv-service`` module: a component as a Windows service through cygrunsrv (SPEC §6.2).

The service is named after the component; ``*-cygrunsrvparams`` holds the
``cygrunsrv --install`` arguments, one per line (what the cygrunsrv
backend generates). Activation installs and starts it, deactivation stops
and removes it. No accounts: cygrunsrv services run as a system account.
"""
from __future__ import annotations

from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.errors import DeployError


def _parameters(call: ModuleCall) -> list[str]:
    arguments = []
    for entry in call.entries():
        if entry.endswith("-cygrunsrvparams"):
            try:
                with open(call.component_path(entry), encoding="utf-8", errors="surrogateescape") as handle:
                    arguments += handle.read().splitlines()
            except OSError as error:
                raise DeployError(f"cygrunsrv-service: cannot read {entry}: {error.strerror}") from None
    return arguments


def _cleanup(call: ModuleCall, check: bool = True) -> None:
    call.run(["cygrunsrv", "--stop", call.component_name], check)
    call.run(["cygrunsrv", "--remove", call.component_name], check)


def activate(call: ModuleCall) -> None:
    try:
        call.run(["cygrunsrv", "--install", call.component_name, *_parameters(call)])
        call.run(["cygrunsrv", "--start", call.component_name])
    except BaseException:
        _cleanup(call, check=False)
        raise
    call.mark_active()


def deactivate(call: ModuleCall) -> None:
    _cleanup(call)
    call.unmark_active()
