"""Several Disnix targets on one machine: each a network namespace, for tests and trying distributions out.

``nixproc simulate-targets --target test1 --target test2 -- COMMAND`` runs
COMMAND with the named targets simulated. For safety the whole harness
lives in its own ``unshare --net --mount`` namespace: the targets'
addresses (``10.213.0.<n>`` on a bridge of that namespace) are unreachable
from the host's own network and never routed out of it, and its mounts (a
tmpfs on ``/run``, so ``ip netns`` can keep its files there; an
``/etc/hosts`` naming the targets) are invisible outside. Inside, each
target is an ``ip netns`` joined to the bridge by a veth pair, with its own
loopback. COMMAND finds the targets in ``NIXPROC_SIMULATED_TARGETS``
(``name=address,...``); ``nixproc-disnix-env`` deploys to a target whose
hostname is one of them by running each Dysnomia activity in its network
namespace (``ip netns exec``), with a Dysnomia state directory of its own.
When COMMAND ends, every process left in a target is killed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nixproc_disnix.errors import DeployError

SIMULATED_TARGETS_ENV = "NIXPROC_SIMULATED_TARGETS"
SUBNET = "10.213.0"
BRIDGE = "nixsimbr"


@dataclass(frozen=True)
class SimulatedTarget:
    """A target: its name (also its network namespace's and its host name) and its address on the bridge."""

    name: str
    address: str


def plan_targets(names: Sequence[str]) -> list[SimulatedTarget]:
    """Addresses for ``names``: ``.1`` is the bridge, targets start at ``.11``."""
    if len(set(names)) != len(names):
        raise DeployError("each simulated target needs a name of its own")
    if len(names) > 200:
        raise DeployError("at most 200 simulated targets")
    for name in names:
        if not name or not all(char.isalnum() or char == "-" for char in name) or len(name) > 15:
            raise DeployError(f"'{name}' cannot name a simulated target (letters, digits and '-', at most 15)")
    return [SimulatedTarget(name, f"{SUBNET}.{11 + index}") for index, name in enumerate(names)]


def render_targets(targets: Sequence[SimulatedTarget]) -> str:
    return ",".join(f"{target.name}={target.address}" for target in targets)


def simulated_targets(environment: Mapping[str, str]) -> dict[str, str]:
    """Host name or address → network namespace, for the targets ``environment`` says are simulated."""
    namespaces = {}
    for entry in filter(None, environment.get(SIMULATED_TARGETS_ENV, "").split(",")):
        name, _, address = entry.partition("=")
        namespaces[name] = name
        namespaces[address] = name
    return namespaces


def namespaces_allowed() -> bool:
    """Whether this process may make the harness's namespaces (root, or a kernel allowing it)."""
    try:
        return subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


def simulate(names: Sequence[str], command: Sequence[str]) -> int:
    """Run ``command`` with ``names`` simulated; its exit status."""
    plan_targets(names)
    if not namespaces_allowed():
        raise DeployError("simulated targets need network and mount namespaces (unshare --net --mount), "
                          "which this process may not create")
    inner = [sys.executable, "-m", "nixproc_disnix.cli", "simulate-targets", "--inside",
             *(word for name in names for word in ("--target", name)), "--", *command]
    return subprocess.call(["unshare", "--net", "--mount", "--fork", *inner])


def inside(names: Sequence[str], command: Sequence[str]) -> int:
    """In the harness's namespaces already: make the targets, run ``command``, kill what the targets still run."""
    targets = plan_targets(names)
    steps = [
        ["mount", "--make-rprivate", "/"],
        ["mount", "-t", "tmpfs", "nixsim", "/run"],
        ["mkdir", "-p", "/run/netns"],
        ["ip", "link", "set", "lo", "up"],
        ["ip", "link", "add", BRIDGE, "type", "bridge"],
        ["ip", "addr", "add", f"{SUBNET}.1/24", "dev", BRIDGE],
        ["ip", "link", "set", BRIDGE, "up"],
    ]
    for index, target in enumerate(targets):
        host_end, target_end = f"nixsim{index}", f"nixsim{index}t"
        steps += [
            ["ip", "netns", "add", target.name],
            ["ip", "link", "add", host_end, "type", "veth", "peer", "name", target_end],
            ["ip", "link", "set", host_end, "master", BRIDGE],
            ["ip", "link", "set", host_end, "up"],
            ["ip", "link", "set", target_end, "netns", target.name],
            ["ip", "-n", target.name, "link", "set", "lo", "up"],
            ["ip", "-n", target.name, "addr", "add", f"{target.address}/24", "dev", target_end],
            ["ip", "-n", target.name, "link", "set", target_end, "up"],
        ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            raise DeployError(f"cannot set up the simulated targets: {' '.join(step)}: {result.stderr.strip()}")
    _name_targets(targets)
    try:
        return subprocess.call(list(command), env={**os.environ, SIMULATED_TARGETS_ENV: render_targets(targets)})
    finally:
        for target in targets:
            pids = subprocess.run(["ip", "netns", "pids", target.name], capture_output=True, text=True).stdout
            for pid in pids.split():
                try:
                    os.kill(int(pid), 9)
                except ProcessLookupError:
                    pass


def _name_targets(targets: Sequence[SimulatedTarget]) -> None:
    """An ``/etc/hosts`` (kept on the harness's ``/run``, bind-mounted for its namespace only) naming the targets
    after the host's own entries."""
    try:
        with open("/etc/hosts", encoding="utf-8") as handle:
            hosts = handle.read()
    except OSError:
        hosts = "127.0.0.1 localhost\n"
    path = "/run/nixsim-hosts"  # on the harness's own tmpfs
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(hosts.rstrip("\n") + "\n" + "".join(f"{target.address} {target.name}\n" for target in targets))
    result = subprocess.run(["mount", "--bind", path, "/etc/hosts"], capture_output=True, text=True)
    if result.returncode != 0:
        raise DeployError(f"cannot name the simulated targets in /etc/hosts: {result.stderr.strip()}")
