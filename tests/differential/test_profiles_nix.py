"""Profile generations against ``nix-env -p``: same links left, same current one, same listing.

Each case lays out two identical profiles by hand (targets outside the Nix
store are fine for these operations), runs ``nix-env`` on one and our
library on the other, and compares the directories.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.profile import render_generations
from nixproc_disnix.store import profiles

pytestmark = pytest.mark.nix

DAY = 24 * 3600
# number -> age in days; generation 3 is current
LAYOUT = {1: 10, 2: 8, 3: 8, 5: 2, 6: 0}
CURRENT = 3


def lay_out(root: Path, now: int) -> Path:
    root.mkdir()
    for number, days in LAYOUT.items():
        target = root / f"t{number}"
        target.mkdir()
        link = root / f"processes-{number}-link"
        link.symlink_to(target)
        os.utime(link, (now - days * DAY, now - days * DAY), follow_symlinks=False)
    (root / "processes").symlink_to(f"processes-{CURRENT}-link")
    return root / "processes"


def state(profile: Path) -> tuple[list[str], str]:
    links = sorted(e for e in os.listdir(profile.parent) if e.endswith("-link"))
    return links, os.readlink(profile)


def nix_env(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert shutil.which("nix-env"), "nix-env not found: differential profile tests need Nix 2.8"
    return subprocess.run(["nix-env", "-p", str(profile), *args], capture_output=True, text=True, check=False)


OPERATIONS: list[tuple[list[str], Callable[[str, int], object]]] = [
    (["--delete-generations", "old"], lambda p, now: profiles.delete_generations(p, ["old"], now=now)),
    (["--delete-generations", "3d"], lambda p, now: profiles.delete_generations(p, ["3d"], now=now)),
    (["--delete-generations", "9d"], lambda p, now: profiles.delete_generations(p, ["9d"], now=now)),
    (["--delete-generations", "1d"], lambda p, now: profiles.delete_generations(p, ["1d"], now=now)),
    (["--delete-generations", "+1"], lambda p, now: profiles.delete_generations(p, ["+1"], now=now)),
    (["--delete-generations", "+2"], lambda p, now: profiles.delete_generations(p, ["+2"], now=now)),
    (["--delete-generations", "1", "5", "9"], lambda p, now: profiles.delete_generations(p, [1, 5, 9], now=now)),
    (["--delete-generations", "3"], lambda p, now: profiles.delete_generations(p, [3], now=now)),
    (["--delete-generations", "x"], lambda p, now: profiles.delete_generations(p, ["x"], now=now)),
    (["--delete-generations", "0d"], lambda p, now: profiles.delete_generations(p, ["0d"], now=now)),
    (["--delete-generations", "+0"], lambda p, now: profiles.delete_generations(p, ["+0"], now=now)),
    (["--switch-generation", "5"], lambda p, now: profiles.switch_generation(p, 5)),
    (["--switch-generation", "4"], lambda p, now: profiles.switch_generation(p, 4)),
    (["--rollback"], lambda p, now: profiles.rollback(p)),
]


@pytest.mark.parametrize(("args", "ours"), OPERATIONS, ids=[" ".join(a) for a, _ in OPERATIONS])
def test_operation_matches_nix_env(tmp_path: Path, args: list[str], ours: Callable[[str, int], object]) -> None:
    now = int(time.time())
    theirs_profile = lay_out(tmp_path / "nix", now)
    ours_profile = lay_out(tmp_path / "ours", now)
    result = nix_env(theirs_profile, *args)
    try:
        ours(str(ours_profile), now)
        failed = None
    except DeployError as error:
        failed = error.message
    assert (failed is None) == (result.returncode == 0), result.stderr
    if failed is not None:  # Nix 2.8 misquotes the profile ("profile /p'"), so compare without quotes
        ours_line = f"error: {failed}".replace(str(ours_profile), "PROFILE").replace("'", "")
        assert ours_line in result.stderr.replace(str(theirs_profile), "PROFILE").replace("'", "")
    assert state(ours_profile) == state(theirs_profile)
    listed = nix_env(theirs_profile, "--list-generations")
    assert render_generations(profiles.list_generations(str(ours_profile))) == listed.stdout


def test_nix_env_reads_our_profile(tmp_path: Path) -> None:
    store = tmp_path / "store"
    profile = tmp_path / "profiles" / "processes"
    for n in (1, 2, 3):
        (store / f"p{n}").mkdir(parents=True)
        profiles.create_generation(str(profile), str(store / f"p{n}"))
    profiles.switch_generation(str(profile), 2)
    listed = nix_env(profile, "--list-generations")
    assert listed.returncode == 0, listed.stderr
    assert render_generations(profiles.list_generations(str(profile))) == listed.stdout
    assert nix_env(profile, "--rollback").returncode == 0
    assert profiles.current_generation(str(profile)) == 1
