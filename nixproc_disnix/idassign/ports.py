"""Ports something on this machine already listens on, for ``--skip-ports-in-use``.

A fresh ids.nix can hand a webapp a port that an unrelated daemon holds, and
the clash shows only when the process fails to bind. With the option, new
assignments of port resources skip the TCP ports that are in LISTEN state
right now.

Which resources are ports: those whose name ends in ``Ports``, ``ports`` or
``Port``, or is ``port`` (``webappPorts``, ``nginxPorts``, ``inetHTTPPorts``,
``ports``). Other resources (uids, gids) are never affected.

Only this machine and its network namespace are seen (Linux's
``/proc/net/tcp`` and ``/proc/net/tcp6``); in distribution mode the same
ports are kept free on every target, since the others cannot be looked at.
"""
from __future__ import annotations

from nixproc_disnix.errors import IdAssignError
from nixproc_disnix.model.ids import IdResources

PROC_NET_TCP = ("/proc/net/tcp", "/proc/net/tcp6")

# The kernel's TCP_LISTEN state, as /proc/net/tcp{,6} print it (hexadecimal).
_LISTEN = "0A"


def is_port_resource(name: str) -> bool:
    """Whether ids of the resource ``name`` are TCP ports (the naming rule of the module docstring)."""
    return name == "port" or name.endswith(("Ports", "ports", "Port"))


def parse_listening_ports(text: str) -> set[int]:
    """The local ports of the LISTEN sockets in the text of ``/proc/net/tcp`` or ``/proc/net/tcp6``.

    Each line after the header is ``sl local_address rem_address st …`` with
    ``local_address`` as ``HEXADDR:HEXPORT``; lines of another shape are skipped.
    """
    ports = set()
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4 or fields[3] != _LISTEN:
            continue
        _, _, port = fields[1].rpartition(":")
        try:
            ports.add(int(port, 16))
        except ValueError:
            continue
    return ports


def listening_ports(paths: tuple[str, ...] = PROC_NET_TCP) -> set[int]:
    """The TCP ports (IPv4 and IPv6) that sockets of this machine listen on now.

    A missing file (no IPv6) is fine, but if none can be read the check is
    impossible, and silently skipping it would hand out clashing ports.
    """
    ports: set[int] = set()
    read_any = False
    for path in paths:
        try:
            with open(path, encoding="ascii") as file:
                ports |= parse_listening_ports(file.read())
        except OSError:
            continue
        read_any = True
    if not read_any:
        raise IdAssignError(f"--skip-ports-in-use: cannot read the listening sockets from {', '.join(paths)} "
                            f"(this needs Linux's /proc)")
    return ports


def ports_in_use(resources: IdResources, listening: set[int]) -> dict[str, set[int]]:
    """The ``taken`` argument of :func:`~nixproc_disnix.idassign.assign.assign_ids`: every port resource gets ``listening``."""
    return {name: listening for name in resources.resources if is_port_resource(name)}
