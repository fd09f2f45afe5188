"""Properties of id-assign over random models: uniqueness, range, grid, retention, fixed point."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from nixproc_disnix.errors import IdAssignError
from nixproc_disnix.idassign import assign_ids
from nixproc_disnix.model.ids import DistributionTable, IdRequirements, IdResource, IdResources, Ids

RESOURCE_NAMES = ["gids", "ports", "uids"]
SERVICE_NAMES = [f"s{i}" for i in range(12)]
TARGETS = ["t1", "t2", "t3"]


@dataclass
class Case:
    requirements: IdRequirements
    resources: IdResources
    distribution: DistributionTable | None


def resource_strategy(scopes: list[str]) -> st.SearchStrategy[IdResource]:
    return st.builds(
        lambda low, width, step, scope: IdResource(min=low, max=low + width - 1, step=step, scope=scope),
        st.integers(-5, 50),
        st.integers(0, 25),  # width 0: an empty pool
        st.integers(1, 4),
        st.sampled_from(scopes),
    )


@st.composite
def cases(draw: st.DrawFn, distributed: bool, max_targets: int = 1) -> Case:
    scopes = ["global", "machine"] if distributed else ["global"]
    resource_names = draw(st.lists(st.sampled_from(RESOURCE_NAMES), unique=True))
    resources = IdResources(resources={name: draw(resource_strategy(scopes)) for name in resource_names})
    services = draw(
        st.dictionaries(
            st.sampled_from(SERVICE_NAMES),
            st.frozensets(st.sampled_from(RESOURCE_NAMES + ["unknown"])),
        )
    )
    distribution = None
    if distributed:
        distribution = DistributionTable(
            targets={
                service: tuple(draw(st.lists(st.sampled_from(TARGETS), max_size=max_targets, unique=True)))
                for service in services
            }
        )
    return Case(IdRequirements(services=services), resources, distribution)


def groups(case: Case, resource: IdResource) -> list[list[str]]:
    """The service groups ids must be unique within."""
    if case.distribution is None:
        return [sorted(case.requirements.services)]
    if resource.scope == "global":
        return [sorted(s for s, targets in case.distribution.targets.items() if targets)]
    return list(case.distribution.services_per_target().values())


def capacity(resource: IdResource) -> int:
    return 0 if resource.min > resource.max else (resource.max - resource.min) // resource.step + 1


def demand_exceeds_capacity(case: Case) -> bool:
    return any(
        sum(1 for service in group if name in case.requirements.services[service]) > capacity(resource)
        for name, resource in case.resources.resources.items()
        for group in groups(case, resource)
    )


def check_assignments(case: Case, result: Ids) -> None:
    assert set(result.ids) == set(case.resources.resources)
    for name, resource in case.resources.resources.items():
        assignments = result.ids[name]
        requiring = set()
        for group in groups(case, resource):
            members = [s for s in group if name in case.requirements.services[s]]
            requiring.update(members)
            ids = [assignments[s] for s in members]
            assert len(set(ids)) == len(ids), (name, group, ids)
        assert set(assignments) == requiring
        for value in assignments.values():
            assert resource.min <= value <= resource.max
            assert (value - resource.min) % resource.step == 0


def run(case: Case, previous: Ids | None = None) -> Ids | None:
    """The result, or None when the run reported depletion, which must then be real."""
    try:
        result = assign_ids(case.requirements, case.resources, previous, case.distribution)
    except IdAssignError as error:
        assert error.message.startswith("The amount of IDs is depleted! (resource '")
        assert demand_exceeds_capacity(case)
        return None
    assert not demand_exceeds_capacity(case)
    return result


@settings(max_examples=300, deadline=None)
@given(cases(distributed=False))
def test_services_mode_ids_are_unique_in_range_on_grid_and_stable(case: Case) -> None:
    result = run(case)
    if result is None:
        return
    check_assignments(case, result)
    assert run(case, result) == result
    assert Ids.parse_xml(result.render_xml()) == result


@settings(max_examples=300, deadline=None)
@given(cases(distributed=True))
def test_distribution_mode_ids_are_unique_in_range_on_grid_and_stable(case: Case) -> None:
    result = run(case)
    if result is None:
        return
    check_assignments(case, result)
    assert run(case, result) == result
    assert Ids.parse_xml(result.render_xml()) == result


@settings(max_examples=300, deadline=None)
@given(cases(distributed=True, max_targets=3))
def test_multi_target_services_get_ids_unique_where_they_are_assigned(case: Case) -> None:
    """A service on several targets keeps the id of its first target (sorted), so two such
    services can share an id on a later common target; ids handed out *on* a target are
    still distinct from every id held there."""
    assert case.distribution is not None
    try:
        result = assign_ids(case.requirements, case.resources, None, case.distribution)
    except IdAssignError as error:
        assert error.message.startswith("The amount of IDs is depleted! (resource '")
        return
    for name, resource in case.resources.resources.items():
        assignments = result.ids[name]
        for value in assignments.values():
            assert resource.min <= value <= resource.max and (value - resource.min) % resource.step == 0
        if resource.scope == "global":
            assert len(set(assignments.values())) == len(assignments)
            continue
        for target, group in case.distribution.services_per_target().items():
            members = [s for s in group if name in case.requirements.services[s]]
            home = [s for s in members if min(case.distribution.targets[s]) == target]
            others = {assignments[s] for s in members if s not in home}
            home_ids = [assignments[s] for s in home]
            assert len(set(home_ids)) == len(home_ids)
            assert not set(home_ids) & others


@settings(max_examples=300, deadline=None)
@given(cases(distributed=False), st.data())
def test_surviving_services_keep_their_ids(case: Case, data: st.DataObject) -> None:
    first = run(case)
    if first is None:
        return
    services = dict(case.requirements.services)
    for removed in data.draw(st.lists(st.sampled_from(sorted(services)), unique=True) if services else st.just([])):
        del services[removed]
    services.update(
        data.draw(st.dictionaries(st.sampled_from([f"new{i}" for i in range(6)]), st.frozensets(st.sampled_from(RESOURCE_NAMES))))
    )
    changed = Case(IdRequirements(services=services), case.resources, None)
    second = run(changed, first)
    if second is None:
        return
    check_assignments(changed, second)
    for name, assignments in first.ids.items():
        for service, value in assignments.items():
            if service in services:
                assert second.ids[name][service] == value
