"""Assigned ports something else already listens on: worth a warning before a deployment fails on them.

The ports come from the ``ids.nix`` beside the processes model (resources
named as ports, see :func:`nixproc_disnix.idassign.ports.is_port_resource`);
what listens, from ``/proc/net/tcp{,6}``. A port of an instance that this
deployment already runs is its own and not reported.
"""
from __future__ import annotations

import os
from collections.abc import Collection

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.errors import NixprocError
from nixproc_disnix.idassign.models import read_ids
from nixproc_disnix.idassign.ports import is_port_resource, listening_ports


def taken_assigned_ports(model: str, ours: Collection[str] = ()) -> list[str]:
    """One warning line per assigned port in use, for instances not in ``ours``; none without an ids.nix."""
    ids_file = os.path.join(os.path.dirname(os.path.abspath(model)), "ids.nix")
    if not os.path.exists(ids_file):
        return []
    try:
        ids = read_ids(Evaluator(), ids_file)
        listening = listening_ports()
    except (NixprocError, OSError):
        return []  # the build itself reports a broken ids.nix; an unreadable /proc is no reason to stop
    assert ids is not None
    return [
        f"warning: port {port} ({resource}) of '{instance}' is already in use by a process "
        "that is not part of this deployment"
        for resource in sorted(ids.ids) if is_port_resource(resource)
        for instance, port in sorted(ids.ids[resource].items())
        if port in listening and instance not in ours
    ]
