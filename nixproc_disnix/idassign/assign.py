"""Assignment of ids (SPEC §8.4): previous ids stay put, new services get the next free id."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

from nixproc_disnix.errors import IdAssignError
from nixproc_disnix.idassign.invalidate import remove_invalid_ids
from nixproc_disnix.idassign.pool import IdPool
from nixproc_disnix.model.ids import (
    GLOBAL_SCOPE,
    MACHINE_SCOPE,
    DistributionTable,
    IdRequirements,
    IdResource,
    IdResources,
    Ids,
)


def assign_ids(
    requirements: IdRequirements,
    resources: IdResources,
    previous: Ids | None = None,
    distribution: DistributionTable | None = None,
    taken: Mapping[str, Set[int]] | None = None,
) -> Ids:
    """Run dydisnix id-assign: invalidate ``previous``, then give every requiring service an id.

    Without ``distribution`` (services mode) every resource must have global
    scope. With it, global ids go to services mapped to at least one target
    and machine-scope ids are unique per target. Raises IdAssignError on an
    unknown scope or a depleted pool; nothing is returned then, so callers
    write output only on success. Inputs are not modified.

    ``taken`` maps a resource to ids that *new* assignments must skip in
    every group (e.g. ports something on the machine listens on; ids outside
    the range are ignored). Kept assignments stay even when taken: a port in
    use is most likely held by the service's own running process.
    """
    kept = remove_invalid_ids(previous or Ids(), requirements, resources, distribution)
    ids = kept.ids
    last_assignments = kept.last_assignments
    per_target = kept.last_assignments_per_target
    services = requirements.services
    taken = taken or {}

    if distribution is None:
        global_group = sorted(services)
        services_per_target: dict[str, list[str]] = {}
    else:
        global_group = sorted(service for service, targets in distribution.targets.items() if targets)
        services_per_target = distribution.services_per_target()

    for resource_name in sorted(resources.resources):
        resource = resources.resources[resource_name]
        assignments = ids.setdefault(resource_name, {})
        blocked = {value for value in taken.get(resource_name, ()) if resource.min <= value <= resource.max}
        if resource.scope == GLOBAL_SCOPE:
            pool = _pool(resource_name, resource, assignments, global_group, last_assignments.get(resource_name),
                         blocked)
            _fill(pool, assignments, global_group, services)
            if pool.last is not None:
                last_assignments[resource_name] = pool.last
        elif resource.scope == MACHINE_SCOPE and distribution is not None:
            for target, group in services_per_target.items():
                counters = per_target.setdefault(target, {})
                pool = _pool(resource_name, resource, assignments, group, counters.get(resource_name), blocked,
                             target)
                _fill(pool, assignments, group, services)
                if pool.last is not None:
                    counters[resource_name] = pool.last
        else:
            hint = "; machine scope needs a distribution" if resource.scope == MACHINE_SCOPE else ""
            raise IdAssignError(f"Unknown scope: {resource.scope} (resource '{resource_name}'{hint})")

    return Ids.model_construct(ids=ids, last_assignments=last_assignments, last_assignments_per_target=per_target)


def _pool(
    resource_name: str,
    resource: IdResource,
    assignments: dict[str, int],
    group: Iterable[str],
    last: int | None,
    blocked: set[int],
    target: str | None = None,
) -> IdPool:
    """The group's pool: its used set holds the ids its services have right now and the blocked ones."""
    used = {assignments[service] for service in group if service in assignments}
    used |= blocked
    return IdPool(resource_name, resource, used, last, target)


def _fill(
    pool: IdPool,
    assignments: dict[str, int],
    group: list[str],
    services: dict[str, frozenset[str]],
) -> None:
    """Give each service of the group (in order) that requires the resource and lacks an id one."""
    resource_name = pool.resource_name
    for service in group:
        if service not in assignments and resource_name in services.get(service, ()):
            assignments[service] = pool.allocate(service)
