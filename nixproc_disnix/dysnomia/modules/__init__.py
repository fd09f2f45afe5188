"""Our Dysnomia module types, one Python module each (SPEC §6.2).

A module type's file defines a function per activity it handles
(``activate``, ``deactivate``, ``collect_garbage``, …), each taking the
:class:`~nixproc_disnix.dysnomia.module.ModuleCall`; :func:`run_module`
dispatches to it, and an activity without a function succeeds doing
nothing, as Dysnomia's modules do.
"""
from __future__ import annotations

import importlib

from nixproc_disnix.dysnomia.module import ACTIVITIES, ModuleCall
from nixproc_disnix.errors import DeployError

MODULE_TYPES = (
    "bsdrc-script",
    "cygrunsrv-service",
    "docker-container",
    "launchd-daemon",
    "managed-process",
    "process",
    "s6-rc-service",
    "supervisord-program",
    "systemd-unit",
    "sysvinit-script",
)
"""The module types we implement."""


def run_module(call: ModuleCall) -> None:
    """Carry out ``call.activity`` with the module ``call.type``; raises ``DeployError`` when it fails."""
    if call.type not in MODULE_TYPES:
        raise DeployError(f"Dysnomia module '{call.type}' does not exist (ours: {', '.join(MODULE_TYPES)})")
    if call.activity not in ACTIVITIES:
        raise DeployError(f"unknown Dysnomia activity '{call.activity}' (known: {', '.join(ACTIVITIES)})")
    module = importlib.import_module(f"{__name__}.{call.type.replace('-', '_')}")
    action = getattr(module, call.activity.replace("-", "_"), None)
    if action is not None:
        action(call)
