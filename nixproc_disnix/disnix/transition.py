"""What a Disnix transition deactivates and activates (SPEC §7.4). Pure.

Disnix compares the mappings of the deployed manifest with the new one:
an obsolete mapping is deactivated (dependents first), a new one activated
(dependencies first), one in both with the same package left alone, and a
service whose package changed is deactivated and activated again. That is
the switch planner's rule for processes, so a manifest is presented to it
as a profile: one process per mapping, named by the mapping, whose output
is the service's package and whose dependencies are every mapping of the
services it is activated after. The planner's levels then hold mappings
that may be (de)activated at the same time.
"""
from __future__ import annotations

from collections import defaultdict

from nixproc_disnix.deploy.plan import SwitchPlan, plan_switch
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.disnix import Manifest


def deployed_profile(manifest: Manifest, path: str | None) -> DeployedProfile:
    """``manifest`` as the planner's profile (``path``: where the manifest is, for its messages)."""
    keys = defaultdict(list)
    for mapping in manifest.mappings:
        keys[mapping.service].append(mapping.key)
    processes = {}
    for mapping in manifest.mappings:
        service = manifest.services[mapping.service]
        processes[mapping.key] = DeployedProcess(
            name=mapping.key,
            process_manager=service.type,
            out_path=service.pkg,
            dependencies=tuple(key for dependency in service.activates_after for key in keys[dependency]),
        )
    return DeployedProfile(path=path, processes=processes)


def plan_transition(old: Manifest, new: Manifest, new_path: str | None, old_path: str | None = None) -> SwitchPlan:
    """The steps from the deployed ``old`` to ``new``: ``stop`` levels deactivate, ``start`` levels activate."""
    return plan_switch(deployed_profile(old, old_path), deployed_profile(new, new_path), manage_accounts=False)


def render_transition(plan: SwitchPlan) -> str:
    """The plan as ``--dry-run`` prints it: one line per mapping, in order; a level's lines may run together."""
    lines = [f"deactivate: {process.name}" for level in plan.stop for process in level]
    lines += [f"activate: {process.name}" for level in plan.start for process in level]
    if plan.unchanged:
        lines.append(f"unchanged: {', '.join(plan.unchanged)}")
    if not plan.stop and not plan.start:
        lines.append("nothing to do")
    return "".join(line + "\n" for line in lines)
