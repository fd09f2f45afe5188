"""dydisnix id-assign semantics (SPEC §8.3, §8.4); expectations worked out by hand from the rules."""
from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from nixproc_disnix.errors import IdAssignError
from nixproc_disnix.idassign import assign_ids
from nixproc_disnix.model.ids import DistributionTable, IdRequirements, IdResources, Ids


def needs(**services: list[str]) -> IdRequirements:
    """Services model in short: service name -> resources it requires ids for."""
    return IdRequirements(services={name: frozenset(wanted) for name, wanted in services.items()})


def pools(**resources: dict[str, Any]) -> IdResources:
    return IdResources.from_data(resources)


def mapped(**targets: list[str]) -> DistributionTable:
    return DistributionTable.from_data(targets)


@contextmanager
def finishes_within(seconds: float) -> Iterator[None]:
    """Turn a hang (upstream's endless search) into a test failure."""

    def timed_out(signum: int, frame: object) -> None:
        raise AssertionError(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


UIDS = {"min": 2000, "max": 3000}


# Global scope, services mode ---------------------------------------------------


def test_first_run_assigns_from_min_in_name_order() -> None:
    result = assign_ids(
        needs(b=["uids"], a=["uids", "gids"], c=[]),
        pools(uids=UIDS, gids={"min": 100, "max": 200}),
    )
    assert result.ids == {"uids": {"a": 2000, "b": 2001}, "gids": {"a": 100}}
    assert result.last_assignments == {"uids": 2001, "gids": 100}
    assert result.last_assignments_per_target == {}


def test_every_current_resource_gets_a_table_even_when_unused() -> None:
    result = assign_ids(needs(a=[]), pools(uids=UIDS, ports={"min": 1, "max": 2}))
    assert result.ids == {"uids": {}, "ports": {}}
    assert result.last_assignments == {}


def test_requirement_for_an_unknown_resource_is_ignored() -> None:
    result = assign_ids(needs(a=["nope", "uids"]), pools(uids=UIDS))
    assert result.ids == {"uids": {"a": 2000}}


def test_retention_new_service_continues_after_last_assignment() -> None:
    first = assign_ids(needs(a=["uids"], b=["uids"]), pools(uids=UIDS))
    # "aa" sorts between a and b but is new: it takes next(last) = 2002.
    second = assign_ids(needs(a=["uids"], aa=["uids"], b=["uids"]), pools(uids=UIDS), first)
    assert second.ids == {"uids": {"a": 2000, "b": 2001, "aa": 2002}}
    assert second.last_assignments == {"uids": 2002}


def test_removed_then_readded_service_gets_a_fresh_id_without_gap_filling() -> None:
    first = assign_ids(needs(a=["uids"], b=["uids"], c=["uids"]), pools(uids=UIDS))
    assert first.ids["uids"] == {"a": 2000, "b": 2001, "c": 2002}
    without_b = assign_ids(needs(a=["uids"], c=["uids"]), pools(uids=UIDS), first)
    assert without_b.ids["uids"] == {"a": 2000, "c": 2002}
    assert without_b.last_assignments == {"uids": 2002}
    again = assign_ids(needs(a=["uids"], b=["uids"], c=["uids"]), pools(uids=UIDS), without_b)
    assert again.ids["uids"] == {"a": 2000, "b": 2003, "c": 2002}


def test_service_that_stops_requiring_a_resource_loses_its_id() -> None:
    previous = Ids(ids={"uids": {"a": 2000, "b": 2001}, "gids": {"a": 7}}, lastAssignments={"uids": 2001, "gids": 7})
    result = assign_ids(needs(a=["uids"], b=[]), pools(uids=UIDS, gids={"min": 0, "max": 9}), previous)
    assert result.ids == {"uids": {"a": 2000}, "gids": {}}
    assert result.last_assignments == {"uids": 2001, "gids": 7}


def test_step_assigns_on_the_grid() -> None:
    result = assign_ids(needs(a=["ports"], b=["ports"], c=["ports"]), pools(ports={"min": 10, "max": 20, "step": 5}))
    assert result.ids == {"ports": {"a": 10, "b": 15, "c": 20}}
    assert result.last_assignments == {"ports": 20}


def test_wrap_around_goes_to_min_not_min_plus_remainder() -> None:
    # Grid 0, 4, 8; next(8) = 12 > 10, so the counter wraps to 0 (not 2).
    previous = Ids(ids={"ports": {"keep": 8}}, lastAssignments={"ports": 8})
    result = assign_ids(needs(keep=["ports"], new=["ports"]), pools(ports={"min": 0, "max": 10, "step": 4}), previous)
    assert result.ids == {"ports": {"keep": 8, "new": 0}}
    assert result.last_assignments == {"ports": 0}


def test_search_skips_used_ids_across_the_wrap() -> None:
    # From last 4: 8 is used, wraps to 0 which is used, then 4 is free again.
    previous = Ids(ids={"ports": {"x": 8, "y": 0}}, lastAssignments={"ports": 4})
    result = assign_ids(needs(x=["ports"], y=["ports"], z=["ports"]), pools(ports={"min": 0, "max": 10, "step": 4}), previous)
    assert result.ids == {"ports": {"x": 8, "y": 0, "z": 4}}
    assert result.last_assignments == {"ports": 4}


# Changed boundaries ----------------------------------------------------------


def test_out_of_range_assignments_are_dropped_and_reassigned() -> None:
    previous = Ids(ids={"uids": {"a": 1000, "b": 2500, "c": 3500}}, lastAssignments={"uids": 3500})
    result = assign_ids(needs(a=["uids"], b=["uids"], c=["uids"]), pools(uids=UIDS), previous)
    # a: next(3500) = 3501 > 3000 -> 2000; c: next(2000) = 2001.
    assert result.ids == {"uids": {"a": 2000, "b": 2500, "c": 2001}}
    assert result.last_assignments == {"uids": 2001}


def test_stale_last_assignment_below_raised_min_clamps_to_min() -> None:
    previous = Ids(lastAssignments={"uids": 1500})
    result = assign_ids(needs(a=["uids"]), pools(uids=UIDS), previous)
    assert result.ids == {"uids": {"a": 2000}}  # upstream would hand out 1501


def test_stale_last_assignment_just_below_min_steps_into_range() -> None:
    # next(1998) = 2003 is within [2000, 3000], so no clamping applies.
    previous = Ids(lastAssignments={"uids": 1998})
    result = assign_ids(needs(a=["uids"]), pools(uids={"min": 2000, "max": 3000, "step": 5}), previous)
    assert result.ids == {"uids": {"a": 2003}}


def test_out_of_range_last_assignment_is_kept_when_nothing_is_assigned() -> None:
    previous = Ids(ids={"uids": {"a": 2000}}, lastAssignments={"uids": 3500})
    result = assign_ids(needs(a=["uids"]), pools(uids=UIDS), previous)
    assert result.last_assignments == {"uids": 3500}


def test_removed_resource_loses_its_table_and_last_assignment() -> None:
    previous = Ids(
        ids={"uids": {"a": 2000}, "gids": {"a": 2000}},
        lastAssignments={"uids": 2000, "gids": 2000},
    )
    result = assign_ids(needs(a=["uids", "gids"]), pools(uids=UIDS), previous)
    assert result.ids == {"uids": {"a": 2000}}
    assert result.last_assignments == {"uids": 2000}


def test_previous_ids_are_not_modified() -> None:
    previous = Ids(ids={"uids": {"a": 2000, "gone": 2001}}, lastAssignments={"uids": 2001, "old": 1})
    snapshot = previous.model_copy(deep=True)
    assign_ids(needs(a=["uids"], b=["uids"]), pools(uids=UIDS), previous)
    assert previous == snapshot


# Depletion ------------------------------------------------------------------


def test_depletion_names_resource_and_service() -> None:
    with pytest.raises(IdAssignError) as error:
        assign_ids(needs(a=["uids"], b=["uids"], c=["uids"]), pools(uids={"min": 1, "max": 2}))
    assert error.value.message == "The amount of IDs is depleted! (resource 'uids', service 'c')"


def test_depletion_counts_retained_ids() -> None:
    previous = Ids(ids={"uids": {"a": 1, "b": 2}}, lastAssignments={"uids": 2})
    with pytest.raises(IdAssignError, match=r"^The amount of IDs is depleted! \(resource 'uids', service 'aa'\)$"):
        assign_ids(needs(a=["uids"], aa=["uids"], b=["uids"]), pools(uids={"min": 1, "max": 2}), previous)


def test_empty_pool_when_min_exceeds_max() -> None:
    # max missing -> 0, below min.
    with pytest.raises(IdAssignError, match="depleted"):
        assign_ids(needs(a=["uids"]), pools(uids={"min": 5}))


def test_full_step_grid_is_detected_without_looping() -> None:
    # Grid 10, 15, 20 holds three ids; the range holds eleven, so upstream's
    # size test passes and its search would never end.
    with finishes_within(5), pytest.raises(IdAssignError) as error:
        assign_ids(
            needs(a=["ports"], b=["ports"], c=["ports"], d=["ports"]),
            pools(ports={"min": 10, "max": 20, "step": 5}),
        )
    assert error.value.message == "The amount of IDs is depleted! (resource 'ports', service 'd')"


def test_full_grid_detected_when_search_starts_off_grid() -> None:
    # From last 11 the search tries 16 (off the grid, taken by e), wraps to
    # 10, walks 15, 20 and is back at 10: every reachable id is taken.
    previous = Ids(ids={"ports": {"a": 10, "b": 15, "c": 20, "e": 16}}, lastAssignments={"ports": 11})
    with finishes_within(5), pytest.raises(IdAssignError, match=r"service 'd'\)$"):
        assign_ids(
            needs(a=["ports"], b=["ports"], c=["ports"], d=["ports"], e=["ports"]),
            pools(ports={"min": 10, "max": 20, "step": 5}),
            previous,
        )


def test_off_grid_candidate_before_wrap_is_used() -> None:
    previous = Ids(ids={"ports": {"a": 10, "b": 15, "c": 20}}, lastAssignments={"ports": 12})
    result = assign_ids(
        needs(a=["ports"], b=["ports"], c=["ports"], d=["ports"]),
        pools(ports={"min": 10, "max": 20, "step": 5}),
        previous,
    )
    assert result.ids["ports"]["d"] == 17


def test_depletion_in_one_resource_fails_the_whole_run() -> None:
    with pytest.raises(IdAssignError, match=r"resource 'b'"):
        assign_ids(needs(x=["a", "b"], y=["a", "b"]), pools(a={"min": 0, "max": 9}, b={"min": 0, "max": 0}))


# Scopes ---------------------------------------------------------------------


def test_machine_scope_without_distribution_is_an_unknown_scope() -> None:
    with pytest.raises(IdAssignError, match=r"^Unknown scope: machine \(resource 'ports'"):
        assign_ids(needs(a=["ports"]), pools(ports={"min": 1, "max": 9, "scope": "machine"}))


def test_unknown_scope_in_distribution_mode() -> None:
    with pytest.raises(IdAssignError) as error:
        assign_ids(needs(a=[]), pools(r={"scope": "galaxy"}), distribution=mapped(a=["t1"]))
    assert error.value.message == "Unknown scope: galaxy (resource 'r')"


def test_services_mode_clears_per_target_counters() -> None:
    previous = Ids(ids={"uids": {"a": 2000}}, lastAssignmentsPerTarget={"t1": {"uids": 2000}})
    result = assign_ids(needs(a=["uids"]), pools(uids=UIDS), previous)
    assert result.last_assignments_per_target == {}


# Distribution mode ------------------------------------------------------------

MULTI_TARGET_RESOURCES = {
    "ports": {"min": 8000, "max": 8010, "scope": "machine"},
    "uids": {"min": 1000, "max": 1100},
}
MULTI_TARGET_SERVICES = {"a": ["ports", "uids"], "b": ["ports"], "c": ["ports"], "d": ["uids"], "e": ["ports"], "f": []}
MULTI_TARGET_DISTRIBUTION = {"a": ["t1"], "b": ["t1"], "c": ["t2"], "d": ["t2"], "e": [], "f": ["t3"]}


def test_multiple_targets_machine_and_global_scope() -> None:
    result = assign_ids(
        needs(**MULTI_TARGET_SERVICES), pools(**MULTI_TARGET_RESOURCES), distribution=mapped(**MULTI_TARGET_DISTRIBUTION)
    )
    # ports repeat across targets; e is mapped nowhere so gets nothing; t3
    # hosts only f (no requirement) and still gets an empty counter table.
    assert result.render_nix() == """{
  "ids" = {
    "ports" = {
      "a" = 8000;
      "b" = 8001;
      "c" = 8000;
    };
    "uids" = {
      "a" = 1000;
      "d" = 1001;
    };
  };
  "lastAssignments" = {
    "uids" = 1001;
  };
  "lastAssignmentsPerTarget" = {
    "t1" = {
      "ports" = 8001;
    };
    "t2" = {
      "ports" = 8000;
    };
    "t3" = {
    };
  };
}"""


def test_machine_scope_incremental_uses_the_targets_counter() -> None:
    first = assign_ids(
        needs(**MULTI_TARGET_SERVICES), pools(**MULTI_TARGET_RESOURCES), distribution=mapped(**MULTI_TARGET_DISTRIBUTION)
    )
    second = assign_ids(
        needs(**MULTI_TARGET_SERVICES, g=["ports"]),
        pools(**MULTI_TARGET_RESOURCES),
        first,
        mapped(**MULTI_TARGET_DISTRIBUTION, g=["t2"]),
    )
    assert second.ids["ports"] == {"a": 8000, "b": 8001, "c": 8000, "g": 8001}
    assert second.last_assignments_per_target == {"t1": {"ports": 8001}, "t2": {"ports": 8001}, "t3": {}}
    assert second.ids["uids"] == first.ids["uids"]


def test_service_on_two_targets_keeps_the_first_id_it_got() -> None:
    result = assign_ids(
        needs(s=["ports"], x=["ports"]),
        pools(ports={"min": 8000, "max": 8010, "scope": "machine"}),
        distribution=mapped(s=["t2", "t1"], x=["t2"]),
    )
    # t1 first: s = 8000. On t2 s already holds 8000, so x takes 8001.
    assert result.ids == {"ports": {"s": 8000, "x": 8001}}
    assert result.last_assignments_per_target == {"t1": {"ports": 8000}, "t2": {"ports": 8001}}


def test_service_on_two_targets_loses_its_previous_global_id() -> None:
    previous = Ids(ids={"uids": {"s": 1000, "t": 1001}}, lastAssignments={"uids": 1001})
    result = assign_ids(
        needs(s=["uids"], t=["uids"]), pools(uids={"min": 1000, "max": 1100}), previous, mapped(s=["t1", "t2"], t=["t1"])
    )
    assert result.ids == {"uids": {"s": 1002, "t": 1001}}


def test_service_mapped_to_no_target_gets_no_global_id() -> None:
    previous = Ids(ids={"uids": {"z": 1000, "a": 1001}}, lastAssignments={"uids": 1001})
    result = assign_ids(
        needs(a=["uids"], z=["uids"], y=["uids"]), pools(uids={"min": 1000, "max": 1100}), previous, mapped(a=["t1"], z=[])
    )
    # z is mapped to no target and y is absent from the distribution.
    assert result.ids == {"uids": {"a": 1001}}
    assert result.last_assignments == {"uids": 1001}


def test_distributed_service_missing_from_services_model_is_skipped() -> None:
    result = assign_ids(needs(a=["uids"]), pools(uids=UIDS), distribution=mapped(a=["t1"], ghost=["t1"]))
    assert result.ids == {"uids": {"a": 2000}}


def test_per_target_counters_are_invalidated() -> None:
    previous = Ids(
        ids={"uids": {"a": 1000, "b": 1001}},
        lastAssignments={"uids": 1001},
        lastAssignmentsPerTarget={"t1": {"gone": 3}, "t2": {"uids": 7, "gone": 4}, "t9": {"uids": 1}},
    )
    result = assign_ids(
        needs(a=["uids"], b=["uids"]), pools(uids={"min": 1000, "max": 1100}), previous, mapped(a=["t1"], b=["t2"])
    )
    # t1 is left empty and t9 hosts nothing: both go; no machine-scope
    # resource re-adds target tables.
    assert result.last_assignments_per_target == {"t2": {"uids": 7}}


def test_distribution_mode_run_is_a_fixed_point() -> None:
    arguments = (needs(**MULTI_TARGET_SERVICES), pools(**MULTI_TARGET_RESOURCES))
    distribution = mapped(**MULTI_TARGET_DISTRIBUTION)
    first = assign_ids(*arguments, distribution=distribution)
    assert assign_ids(*arguments, first, distribution) == first


def test_property_override_end_to_end() -> None:
    services = {"a": {"requiresUniqueIdsFor": ["uids"], "ports": ["uids"]}, "b": {"ports": ["uids"]}}
    result = assign_ids(IdRequirements.from_services(services, "ports"), pools(uids=UIDS))
    assert result.ids == {"uids": {"a": 2000, "b": 2001}}


def test_two_multi_target_services_may_share_an_id_on_a_common_target() -> None:
    # Each keeps the id of its first target: p gets 8000 on t1, q 8000 on t2,
    # and on t3 neither needs a new one. Upstream behaviour (§8.4).
    result = assign_ids(
        needs(p=["ports"], q=["ports"], r=["ports"]),
        pools(ports={"min": 8000, "max": 8010, "scope": "machine"}),
        distribution=mapped(p=["t1", "t3"], q=["t2", "t3"], r=["t3"]),
    )
    assert result.ids == {"ports": {"p": 8000, "q": 8000, "r": 8001}}


def test_service_moved_to_another_target_keeps_its_machine_id() -> None:
    previous = Ids(
        ids={"ports": {"a": 8000, "b": 8000}},
        lastAssignmentsPerTarget={"t1": {"ports": 8000}, "t2": {"ports": 8000}},
    )
    result = assign_ids(
        needs(a=["ports"], b=["ports"]),
        pools(ports={"min": 8000, "max": 8010, "scope": "machine"}),
        previous,
        mapped(a=["t1"], b=["t1"]),
    )
    # Invalidation only asks for exactly one target, not the same one (§8.3).
    assert result.ids == {"ports": {"a": 8000, "b": 8000}}
    assert result.last_assignments_per_target == {"t1": {"ports": 8000}}
