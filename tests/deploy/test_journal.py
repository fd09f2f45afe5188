"""The switch journal: pending profiles as links beside the generations, and the switch lock."""
from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from nixproc_disnix.deploy import journal


def test_pending_profiles_are_noted_once_and_settled_together(tmp_path: Path) -> None:
    profile = str(tmp_path / "profiles" / "processes")
    with journal.locked(profile):
        assert journal.interrupted(profile) == []
        journal.begin(profile, "/store/one")
        journal.begin(profile, "/store/two")
        journal.begin(profile, "/store/one")
        assert sorted(journal.interrupted(profile)) == ["/store/one", "/store/two"]
        assert journal.interrupted(str(tmp_path / "profiles" / "other")) == []
        journal.settle(profile)
        assert journal.interrupted(profile) == []


def test_the_switch_lock_excludes_a_second_switch(tmp_path: Path) -> None:
    profile = str(tmp_path / "profiles" / "processes")
    with journal.locked(profile), open(f"{profile}.switch-lock", "a") as other:
        with pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
