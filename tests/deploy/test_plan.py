"""The switch planner: pure, over two profiles."""
from __future__ import annotations

import pytest

from nixproc_disnix.deploy.plan import SwitchPlan, plan_switch, render_plan
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.dysnomia_support import AccountFile

EMPTY = DeployedProfile()


def process(name: str, version: str = "1", *dependencies: str) -> DeployedProcess:
    return DeployedProcess(name=name, process_manager="sysvinit", out_path=f"/s/{version}-{name}",
                           dependencies=dependencies)


def profile(*processes: DeployedProcess, groups: tuple[str, ...] = (), users: dict[str, dict[str, str]] | None = None,
            ) -> DeployedProfile:
    return DeployedProfile(
        path="/s/profile",
        processes={p.name: p for p in processes},
        groups={name: AccountFile(name=name, attributes={}) for name in groups},
        users={name: AccountFile(name=name, attributes=attributes) for name, attributes in (users or {}).items()},
    )


def names(levels: tuple[tuple[DeployedProcess, ...], ...]) -> list[list[str]]:
    return [[p.name for p in level] for level in levels]


# webapp1 <- webapp2 <- nginx, and an independent database
WEBAPPS = profile(
    process("webapp1"), process("webapp2", "1", "webapp1"), process("nginx", "1", "webapp1", "webapp2"),
    process("db"),
)


def test_first_deployment_starts_everything_in_dependency_levels() -> None:
    plan = plan_switch(EMPTY, WEBAPPS, manage_accounts=True)
    assert names(plan.start) == [["db", "webapp1"], ["webapp2"], ["nginx"]]
    assert plan.stop == () and plan.restart == () and plan.unchanged == ()


def test_unchanged_profile_touches_nothing() -> None:
    plan = plan_switch(WEBAPPS, WEBAPPS, manage_accounts=True)
    assert plan.is_empty and plan.unchanged == ("db", "nginx", "webapp1", "webapp2")
    assert render_plan(plan) == "unchanged: db nginx webapp1 webapp2\nnothing to do\n"


def test_changed_processes_restart_dependents_first_on_stop() -> None:
    new = profile(
        process("webapp1"), process("webapp2", "2", "webapp1"), process("nginx", "2", "webapp1", "webapp2"),
        process("db"),
    )
    plan = plan_switch(WEBAPPS, new, manage_accounts=True)
    assert names(plan.stop) == [["nginx"], ["webapp2"]]
    assert names(plan.start) == [["webapp2"], ["nginx"]]
    assert plan.restart == ("nginx", "webapp2") and plan.unchanged == ("db", "webapp1")
    assert [p.out_path for p in plan.start[0]] == ["/s/2-webapp2"]
    assert [p.out_path for p in plan.stop[1]] == ["/s/1-webapp2"]


def test_undeploy_stops_everything_dependents_first() -> None:
    plan = plan_switch(WEBAPPS, profile(), manage_accounts=True)
    assert names(plan.stop) == [["nginx"], ["webapp2"], ["db", "webapp1"]]
    assert plan.start == ()


def test_added_and_removed_processes() -> None:
    new = profile(process("webapp1"), process("cache", "1", "webapp1"))
    plan = plan_switch(WEBAPPS, new, manage_accounts=True)
    assert names(plan.stop) == [["nginx"], ["db", "webapp2"]]
    assert names(plan.start) == [["cache"]]


def test_accounts_created_and_deleted_only_when_managed() -> None:
    old = profile(groups=("a", "shared"), users={"a": {"group": "a"}, "shared": {}})
    new = profile(groups=("b", "shared"), users={"b": {"group": "b"}, "shared": {},
                                                  "home": {"homeDir": "/h", "createHomeDir": "1",
                                                           "createHomeDirOnly": "1"}})
    managed = plan_switch(old, new, manage_accounts=True)
    assert [g.name for g in managed.add_groups] == ["b"] and [u.name for u in managed.add_users] == ["b", "home"]
    assert [u.name for u in managed.delete_users] == ["a"] and [g.name for g in managed.delete_groups] == ["a"]
    unmanaged = plan_switch(old, new, manage_accounts=False)
    assert unmanaged.add_groups == () and unmanaged.delete_users == () and unmanaged.delete_groups == ()
    assert [u.name for u in unmanaged.add_users] == ["home"], "home directories are still made"
    assert render_plan(managed).splitlines()[:2] == ["add groups: b", "add users: b home"]


def test_a_dependency_cycle_is_an_error() -> None:
    cyclic = profile(process("a", "1", "b"), process("b", "1", "a"))
    with pytest.raises(DeployError, match="cycle: (a -> b -> a|b -> a -> b)"):
        plan_switch(EMPTY, cyclic, manage_accounts=False)


def test_render_lists_steps_in_order() -> None:
    plan = plan_switch(WEBAPPS, profile(process("webapp1"), process("webapp2", "2", "webapp1")), manage_accounts=False)
    assert render_plan(plan) == (
        "stop: nginx\nstop: db webapp2\nstart: webapp2\nrestarted (changed): webapp2\nunchanged: webapp1\n"
    )


def test_plan_is_a_frozen_model() -> None:
    plan = plan_switch(EMPTY, WEBAPPS, manage_accounts=False)
    assert SwitchPlan.model_validate(plan.model_dump()) == plan


# a <- b <- c, a <- d, and x alone; the interrupted switch changed b and c, added e and removed x.
BEFORE = profile(process("a"), process("b", "1", "a"), process("c", "1", "b"), process("x"))
INTERRUPTED = profile(process("a"), process("b", "2", "a"), process("c", "2", "b"), process("e", "2", "a"))


def test_a_switch_after_an_interrupted_one_plans_from_the_mix() -> None:
    new = profile(process("a"), process("b", "2", "a"), process("c", "3", "b"), process("d", "3", "a"),
                  process("x"))
    plan = plan_switch(BEFORE, new, manage_accounts=False, interrupted=[INTERRUPTED])
    assert [[p.out_path for p in level] for level in plan.recover] == [["/s/2-c", "/s/2-e"]], "only its own versions"
    assert names(plan.stop) == [["c"], ["b"]]
    assert names(plan.revive) == [["x"]], "it may have stopped x"
    assert names(plan.start) == [["b", "d"], ["c"]]
    assert plan.resume == ("b",), "it may have started b@2 already"
    assert plan.unchanged == ("a",) and plan.restart == ("b", "c")
    assert render_plan(plan) == (
        "stop (left by an interrupted switch): c e\nstop: c\nstop: b\nstart unless running: x\nstart: b d\n"
        "start: c\nrestarted (changed): b c\nresumed (started unless running): b\nunchanged: a\n"
    )


def test_retrying_an_interrupted_switch_resumes_it() -> None:
    plan = plan_switch(BEFORE, INTERRUPTED, manage_accounts=False, interrupted=[INTERRUPTED, INTERRUPTED])
    assert plan.recover == () and names(plan.stop) == [["c"], ["b", "x"]]
    assert names(plan.start) == [["b", "e"], ["c"]] and plan.resume == ("b", "c", "e")


def test_an_interrupted_switch_that_recorded_its_generation_leaves_nothing_to_do() -> None:
    plan = plan_switch(INTERRUPTED, INTERRUPTED, manage_accounts=False, interrupted=[INTERRUPTED])
    assert plan.is_empty and plan.unchanged == ("a", "b", "c", "e")


def test_accounts_an_interrupted_switch_created_are_deleted_when_unused() -> None:
    interrupted = profile(groups=("left",), users={"left": {"group": "left"}})
    plan = plan_switch(profile(), profile(), manage_accounts=True, interrupted=[interrupted])
    assert [u.name for u in plan.delete_users] == ["left"] and [g.name for g in plan.delete_groups] == ["left"]
