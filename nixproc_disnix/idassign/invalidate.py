"""Invalidation of previous assignments (SPEC §8.3), run before assigning."""
from __future__ import annotations

from nixproc_disnix.model.ids import DistributionTable, IdRequirements, IdResources, Ids


def remove_invalid_ids(
    previous: Ids,
    requirements: IdRequirements,
    resources: IdResources,
    distribution: DistributionTable | None = None,
) -> Ids:
    """The part of ``previous`` that may be kept: a new model, ``previous`` is untouched.

    An assignment (R, S, id) survives iff R is still a resource, S still
    exists and requires R, the id lies in R's ``[min, max]`` and, in
    distribution mode, S is mapped to exactly one target. Tables left empty
    are dropped. ``lastAssignments`` only lose vanished resources (an
    out-of-range counter is kept; the pool clamps it). Per-target counters
    are meaningless without a distribution, so services mode clears them;
    distribution mode drops vanished resources, targets hosting no service
    and targets left with no counter (⚠ upstream removes from the wrong
    table; this is the intent).

    Note the rule does not look at *which* target: a service moved to another
    target keeps its machine-scope id, even if another service there holds
    the same one (upstream behaviour, kept).
    """
    services = requirements.services
    single_target = (
        None
        if distribution is None
        else {service for service, targets in distribution.targets.items() if len(targets) == 1}
    )

    ids: dict[str, dict[str, int]] = {}
    for resource_name, assignments in previous.ids.items():
        resource = resources.resources.get(resource_name)
        if resource is None:
            continue
        kept = {
            service: value
            for service, value in assignments.items()
            if resource_name in services.get(service, ())
            and resource.min <= value <= resource.max
            and (single_target is None or service in single_target)
        }
        if kept:
            ids[resource_name] = kept

    last_assignments = {
        resource_name: value
        for resource_name, value in previous.last_assignments.items()
        if resource_name in resources.resources
    }

    per_target: dict[str, dict[str, int]] = {}
    if distribution is not None:
        hosting = {target for targets in distribution.targets.values() for target in targets}
        for target, counters in previous.last_assignments_per_target.items():
            if target not in hosting:
                continue
            kept_counters = {
                resource_name: value
                for resource_name, value in counters.items()
                if resource_name in resources.resources
            }
            if kept_counters:
                per_target[target] = kept_counters

    return Ids.model_construct(
        ids=ids, last_assignments=last_assignments, last_assignments_per_target=per_target
    )
