"""The switch planner: what a switch from one profile to another stops, starts and leaves alone.

Pure: two :class:`DeployedProfile` in, a :class:`SwitchPlan` out. As
upstream's deploy tools, processes are compared by output path: a process
only in the old profile is stopped, one only in the new is started, one
whose output changed is stopped and started again (a restart), and one with
the same output is not touched, so redeploying an unchanged profile does
nothing. A dependency's output path is part of its dependents' outputs, so
when a process changes, everything depending on it changes too.

Unlike upstream, the order is the dependency graph's rather than file
names': stops run dependents first, starts dependencies first, each in
levels (networkx topological generations) whose members do not depend on
each other and may run at the same time.

A switch killed half-way leaves the profiles it was deploying in the
journal (:mod:`nixproc_disnix.deploy.journal`); what runs is then a mix of
the old profile and those. The plan takes them as ``interrupted`` and
converges from any such mix: versions only they have are stopped first
(``recover``), unchanged processes they may have stopped are started if
they do not run (``revive``), and new ones they may already have started
are started only if they do not run (``resume``).
"""
from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.dysnomia_support import AccountFile


class SwitchPlan(BaseModel):
    """A switch's steps, in the order they run.

    ``recover``, ``stop``, ``revive`` and ``start`` are lists of levels; a
    level's processes are independent of each other. ``restart`` names the
    processes in both ``stop`` and ``start`` (their output changed), ``resume``
    those of ``start`` that an interrupted switch may have started already.
    Accounts are created before anything stops and deleted after everything
    started.
    """

    model_config = ConfigDict(frozen=True, strict=True)

    add_groups: tuple[AccountFile, ...] = ()
    add_users: tuple[AccountFile, ...] = ()
    recover: tuple[tuple[DeployedProcess, ...], ...] = ()
    stop: tuple[tuple[DeployedProcess, ...], ...] = ()
    revive: tuple[tuple[DeployedProcess, ...], ...] = ()
    start: tuple[tuple[DeployedProcess, ...], ...] = ()
    restart: tuple[str, ...] = ()
    resume: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    delete_users: tuple[AccountFile, ...] = ()
    delete_groups: tuple[AccountFile, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether the switch changes nothing at all."""
        return not (self.add_groups or self.add_users or self.recover or self.stop or self.revive or self.start
                    or self.delete_users or self.delete_groups)


def plan_switch(
    old: DeployedProfile, new: DeployedProfile, manage_accounts: bool, interrupted: Sequence[DeployedProfile] = ()
) -> SwitchPlan:
    """The plan from ``old`` to ``new``, after switches towards ``interrupted`` were killed half-way.

    Accounts: groups and users named only in ``new`` are created, those only
    in ``old`` (or an interrupted profile) deleted. Without
    ``manage_accounts`` (not root, or user changes disabled) no account is
    touched, except that home directories asked for in
    ``forceDisableUserChange`` mode are still created.
    """
    changed = {name for name in old.processes.keys() & new.processes.keys()
               if old.processes[name].out_path != new.processes[name].out_path}
    stopping = (old.processes.keys() - new.processes.keys()) | changed
    starting = (new.processes.keys() - old.processes.keys()) | changed
    touched = {name for profile in interrupted for name in profile.processes.keys() | old.processes.keys()
               if _output(profile, name) != _output(old, name)}
    reviving = (old.processes.keys() & new.processes.keys() & touched) - changed
    unchanged = sorted((old.processes.keys() & new.processes.keys()) - changed - reviving)

    def only_in(first: dict[str, AccountFile], second: dict[str, AccountFile]) -> tuple[AccountFile, ...]:
        return tuple(first[name] for name in sorted(first.keys() - second.keys()))

    added_users = only_in(new.users, old.users)
    known_users = {name: user for profile in (*interrupted, old) for name, user in profile.users.items()}
    known_groups = {name: group for profile in (*interrupted, old) for name, group in profile.groups.items()}
    return SwitchPlan(
        add_groups=only_in(new.groups, old.groups) if manage_accounts else (),
        add_users=added_users if manage_accounts else tuple(user for user in added_users if user.home_dir_only),
        recover=_leftovers(interrupted, old, new),
        stop=tuple(reversed(_levels(old, stopping))),
        revive=_levels(new, reviving),
        start=_levels(new, starting),
        restart=tuple(sorted(changed)),
        resume=tuple(sorted(name for name in starting if any(
            _output(profile, name) == new.processes[name].out_path for profile in interrupted))),
        unchanged=tuple(unchanged),
        delete_users=only_in(known_users, new.users) if manage_accounts else (),
        delete_groups=only_in(known_groups, new.groups) if manage_accounts else (),
    )


def _output(profile: DeployedProfile, name: str) -> str | None:
    process = profile.processes.get(name)
    return None if process is None else process.out_path


def _leftovers(
    interrupted: Sequence[DeployedProfile], old: DeployedProfile, new: DeployedProfile
) -> tuple[tuple[DeployedProcess, ...], ...]:
    """Stop levels for what interrupted switches may have started that neither ``old`` nor ``new`` has.

    Each version once, dependents first within each interrupted profile.
    """
    seen: set[tuple[str, str]] = set()
    levels: list[tuple[DeployedProcess, ...]] = []
    for profile in interrupted:
        names = {name for name, process in profile.processes.items()
                 if process.out_path not in (_output(old, name), _output(new, name))
                 and (name, process.out_path) not in seen}
        seen.update((name, profile.processes[name].out_path) for name in names)
        levels += reversed(_levels(profile, names))
    return tuple(levels)


def _levels(profile: DeployedProfile, names: set[str]) -> tuple[tuple[DeployedProcess, ...], ...]:
    """``names`` in dependency order, grouped in levels of mutually independent processes (sorted by name)."""
    if not names:
        return ()
    import networkx as nx  # here, not above: importing it is most of what a no-op switch's plan would cost

    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(
        (dependency, name) for name in names for dependency in profile.processes[name].dependencies if dependency in names
    )
    try:
        generations = list(nx.topological_generations(graph))
    except nx.NetworkXUnfeasible:
        edges = nx.find_cycle(graph)
        cycle = " -> ".join([dependency for dependency, _ in edges] + [edges[0][0]])
        raise DeployError(f"profile '{profile.path}': processes depend on each other in a cycle: {cycle}") from None
    return tuple(tuple(profile.processes[name] for name in sorted(level)) for level in generations)


def render_plan(plan: SwitchPlan) -> str:
    """The plan as ``--dry-run`` prints it: one line per step, in order."""
    def names(items: tuple[AccountFile, ...] | tuple[DeployedProcess, ...]) -> str:
        return " ".join(item.name for item in items)

    lines = []
    if plan.add_groups:
        lines.append(f"add groups: {names(plan.add_groups)}")
    if plan.add_users:
        lines.append(f"add users: {names(plan.add_users)}")
    lines += [f"stop (left by an interrupted switch): {names(level)}" for level in plan.recover]
    lines += [f"stop: {names(level)}" for level in plan.stop]
    lines += [f"start unless running: {names(level)}" for level in plan.revive]
    lines += [f"start: {names(level)}" for level in plan.start]
    if plan.delete_users:
        lines.append(f"delete users: {names(plan.delete_users)}")
    if plan.delete_groups:
        lines.append(f"delete groups: {names(plan.delete_groups)}")
    if plan.restart:
        lines.append(f"restarted (changed): {' '.join(plan.restart)}")
    if plan.resume:
        lines.append(f"resumed (started unless running): {' '.join(plan.resume)}")
    if plan.unchanged:
        lines.append(f"unchanged: {' '.join(plan.unchanged)}")
    if plan.is_empty:
        lines.append("nothing to do")
    return "".join(line + "\n" for line in lines)
