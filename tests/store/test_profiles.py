from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.profile import Generation, render_generations
from nixproc_disnix.store.profiles import (
    create_generation,
    current_generation,
    delete_all_generations,
    delete_generations,
    list_generations,
    previous_deployment,
    rollback,
    switch_generation,
)

DAY = 24 * 3600


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Five fake store paths, ``<store>/p1`` … ``<store>/p5``."""
    root = tmp_path / "store"
    for n in range(1, 6):
        (root / f"p{n}").mkdir(parents=True)
    return root


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "profiles" / "processes"


def assert_resolves(profile: Path, expected: Path) -> None:
    """The profile link is relative, names a generation and reaches the store path."""
    link = os.readlink(profile)
    assert "/" not in link and link.startswith("processes-") and link.endswith("-link")
    assert profile.resolve() == expected.resolve()


def numbers(profile: Path) -> list[int]:
    return [g.number for g in list_generations(str(profile))]


def set_age(profile: Path, number: int, seconds_ago: int, now: int) -> None:
    link = f"{profile}-{number}-link"
    os.utime(link, (now - seconds_ago, now - seconds_ago), follow_symlinks=False)


def test_no_profile_has_no_generations(profile: Path) -> None:
    assert current_generation(str(profile)) is None
    assert list_generations(str(profile)) == []


def test_create_makes_numbered_links_and_switches(profile: Path, store: Path) -> None:
    assert create_generation(str(profile), str(store / "p1")) == 1
    assert_resolves(profile, store / "p1")
    assert create_generation(str(profile), str(store / "p2")) == 2
    assert_resolves(profile, store / "p2")
    assert os.readlink(f"{profile}-2-link") == str(store / "p2")
    assert current_generation(str(profile)) == 2
    generations = list_generations(str(profile))
    assert [(g.number, g.target, g.current) for g in generations] == [
        (1, str(store / "p1"), False),
        (2, str(store / "p2"), True),
    ]
    assert generations[0].link == f"{profile}-1-link"
    assert abs(generations[1].creation_time - time.time()) < 60


def test_create_same_path_is_a_no_op(profile: Path, store: Path) -> None:
    create_generation(str(profile), str(store / "p1"))
    assert create_generation(str(profile), str(store / "p1")) == 1
    assert numbers(profile) == [1]


def test_create_same_as_newest_after_rollback_switches_back(profile: Path, store: Path) -> None:
    """Nix compares with the newest generation, not the current one."""
    create_generation(str(profile), str(store / "p1"))
    create_generation(str(profile), str(store / "p2"))
    rollback(str(profile))
    assert create_generation(str(profile), str(store / "p2")) == 2
    assert numbers(profile) == [1, 2]
    assert_resolves(profile, store / "p2")


def test_create_rejects_missing_path_and_non_link_profile(profile: Path, store: Path) -> None:
    with pytest.raises(DeployError, match="does not exist"):
        create_generation(str(profile), str(store / "missing"))
    profile.parent.mkdir(parents=True)
    profile.mkdir()
    with pytest.raises(DeployError, match="not a symlink"):
        create_generation(str(profile), str(store / "p1"))
    assert list_generations(str(profile)) == []


def test_switch_generation(profile: Path, store: Path) -> None:
    for n in (1, 2, 3):
        create_generation(str(profile), str(store / f"p{n}"))
    chosen = switch_generation(str(profile), 1)
    assert (chosen.number, chosen.current) == (1, True)
    assert_resolves(profile, store / "p1")
    with pytest.raises(DeployError, match=r"^profile version 7 does not exist$"):
        switch_generation(str(profile), 7)
    assert_resolves(profile, store / "p1")


def test_rollback_goes_below_current(profile: Path, store: Path) -> None:
    for n in (1, 2, 3):
        create_generation(str(profile), str(store / f"p{n}"))
    switch_generation(str(profile), 2)
    assert rollback(str(profile)).number == 1
    assert_resolves(profile, store / "p1")
    with pytest.raises(DeployError, match=r"^no profile version older than the current \(1\) exists$"):
        rollback(str(profile))
    assert_resolves(profile, store / "p1")


def test_rollback_without_profile(profile: Path) -> None:
    with pytest.raises(DeployError, match=r"current \(0\)"):
        rollback(str(profile))


def test_previous_deployment_is_second_newest(profile: Path, store: Path) -> None:
    create_generation(str(profile), str(store / "p1"))
    with pytest.raises(DeployError, match="no known previous deployments"):
        previous_deployment(str(profile))
    for n in (2, 3):
        create_generation(str(profile), str(store / f"p{n}"))
    switch_generation(str(profile), 1)
    assert previous_deployment(str(profile)).number == 2
    assert_resolves(profile, store / "p1")


def test_delete_numbers_never_the_current(profile: Path, store: Path) -> None:
    for n in (1, 2, 3, 4):
        create_generation(str(profile), str(store / f"p{n}"))
    assert delete_generations(str(profile), [1, "3", 9]) == [1, 3]
    assert numbers(profile) == [2, 4]
    with pytest.raises(DeployError, match="^cannot delete current version of profile '.*processes'$"):
        delete_generations(str(profile), [2, 4])
    assert numbers(profile) == [2, 4]
    assert_resolves(profile, store / "p4")


def test_delete_old_keeps_only_current(profile: Path, store: Path) -> None:
    for n in (1, 2, 3):
        create_generation(str(profile), str(store / f"p{n}"))
    switch_generation(str(profile), 2)
    assert delete_generations(str(profile), ["old"]) == [1, 3]
    assert numbers(profile) == [2]
    assert_resolves(profile, store / "p2")


def test_numbers_keep_increasing_after_deletions(profile: Path, store: Path) -> None:
    for n in (1, 2, 3):
        create_generation(str(profile), str(store / f"p{n}"))
    delete_generations(str(profile), ["old"])
    assert create_generation(str(profile), str(store / "p4")) == 4
    switch_generation(str(profile), 3)
    delete_generations(str(profile), [4])
    assert create_generation(str(profile), str(store / "p5")) == 4
    assert numbers(profile) == [3, 4]


def test_delete_older_than_days_keeps_the_one_active_then(profile: Path, store: Path) -> None:
    for n in (1, 2, 3, 4, 5):
        create_generation(str(profile), str(store / f"p{n}"))
    now = int(time.time())
    for number, days in ((1, 10), (2, 8), (3, 8), (4, 2), (5, 0)):
        set_age(profile, number, days * DAY, now)
    switch_generation(str(profile), 1)
    # 3 was active three days ago, so it stays; 2 goes; 1 is current.
    assert delete_generations(str(profile), ["3d"], now=now) == [2]
    assert numbers(profile) == [1, 3, 4, 5]
    switch_generation(str(profile), 5)
    assert delete_generations(str(profile), ["1d"], now=now) == [1, 3]
    assert numbers(profile) == [4, 5]
    assert_resolves(profile, store / "p5")


def test_delete_keep_last(profile: Path, store: Path) -> None:
    for n in range(1, 6):
        create_generation(str(profile), str(store / f"p{n}"))
    switch_generation(str(profile), 4)
    assert delete_generations(str(profile), ["+2"]) == [1, 2]
    assert numbers(profile) == [3, 4, 5]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (["x"], "invalid generation number 'x'"),
        (["7", "old"], "invalid generation number 'old'"),
        (["2d", "1"], "invalid generation number '2d'"),
        (["0d"], "invalid number of days specifier '0d'"),
        (["d"], "invalid number of days specifier 'd'"),
        (["1d2"], "invalid number of days specifier '1d2', expected something like '14d'"),
        (["+0"], "invalid number of generations to keep '+0'"),
        (["+"], "invalid number of generations '+'"),
    ],
)
def test_delete_rejects_bad_specs(profile: Path, store: Path, spec: list[str], message: str) -> None:
    create_generation(str(profile), str(store / "p1"))
    create_generation(str(profile), str(store / "p2"))
    with pytest.raises(DeployError) as raised:
        delete_generations(str(profile), spec)
    assert raised.value.message == message
    assert numbers(profile) == [1, 2]


def test_delete_all_generations_removes_the_profile(profile: Path, store: Path) -> None:
    for n in (1, 2):
        create_generation(str(profile), str(store / f"p{n}"))
    assert delete_all_generations(str(profile)) == [1, 2]
    assert not os.path.lexists(profile)
    assert list_generations(str(profile)) == []
    assert (store / "p1").is_dir()
    assert create_generation(str(profile), str(store / "p3")) == 1


def test_profile_link_always_resolves_during_switches(profile: Path, store: Path) -> None:
    """The link is swapped by rename, so a reader never sees it missing or dangling."""
    for n in range(1, 6):
        create_generation(str(profile), str(store / f"p{n}"))
        assert_resolves(profile, store / f"p{n}")
    for n in (3, 1, 5, 2):
        switch_generation(str(profile), n)
        assert_resolves(profile, store / f"p{n}")
        assert not [e for e in os.listdir(profile.parent) if ".tmp-" in e]
    rollback(str(profile))
    assert_resolves(profile, store / "p1")
    delete_generations(str(profile), ["old"])
    assert_resolves(profile, store / "p1")


def test_concurrent_creations_get_distinct_numbers(profile: Path, store: Path) -> None:
    """The profile lock serializes numbering: parallel deployers never share or lose a number."""
    paths = [store / f"c{n}" for n in range(16)]
    for path in paths:
        path.mkdir()
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda path: create_generation(str(profile), str(path)), paths))
    assert sorted(created) == list(range(1, 17))
    assert {g.number: g.target for g in list_generations(str(profile))} == dict(zip(created, map(str, paths)))
    assert profile.resolve().parent == store


def test_foreign_entries_are_not_generations(profile: Path, store: Path) -> None:
    create_generation(str(profile), str(store / "p1"))
    for name in ("processes-x-link", "processes-2-link.bak", "other-3-link", "processes-old-4-link"):
        os.symlink(store / "p2", profile.parent / name)
    assert numbers(profile) == [1]
    assert create_generation(str(profile), str(store / "p2")) == 2


def test_render_matches_nix_env_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        created = 1795624200  # 2026-11-25 16:30:00 UTC
        generations = [
            Generation(number=1, link="/p/x-1-link", target="/s/a", creation_time=created - DAY, current=False),
            Generation(number=12, link="/p/x-12-link", target="/s/b", creation_time=created, current=True),
            Generation(number=12345, link="/p/x-12345-link", target="/s/c", creation_time=created, current=False),
        ]
        assert render_generations(generations) == (
            "   1   2026-11-24 16:30:00   \n"
            "  12   2026-11-25 16:30:00   (current)\n"
            "12345   2026-11-25 16:30:00   \n"
        )
    finally:
        monkeypatch.undo()
        time.tzset()
