"""nixproc gc: what roots keep stays, everything else goes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.store.gc import collect_garbage, live_paths
from nixproc_disnix.store.profiles import create_generation
from nixproc_disnix.store.roots import add_indirect_root, make_out_link
from nixproc_disnix.store.store import Store

MODEL = Path(__file__).resolve().parents[1] / "fixtures/webapps/processes.nix"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "root")) as opened:
        yield opened


def test_out_links_keep_their_closure_and_derivations(store: Store, tmp_path: Path) -> None:
    profile = build_profile(store, BuildRequest("sysvinit", str(MODEL)))
    stray = store.add_text("stray", "nobody keeps me\n")
    make_out_link(store, str(tmp_path / "result"), profile)
    report = collect_garbage(store)
    assert stray in report.deleted and not os.path.exists(stray) and not store.is_valid(stray)
    closure = store.closure([profile])
    assert all(os.path.exists(path) for path in closure)
    assert any(path.endswith("-python3") for path in closure)
    assert store.deriver(profile) in live_paths(store)  # keep-derivations
    assert collect_garbage(store).deleted == []


def test_removing_the_link_frees_everything(store: Store, tmp_path: Path) -> None:
    profile = build_profile(store, BuildRequest("sysvinit", str(MODEL)))
    make_out_link(store, str(tmp_path / "result"), profile)
    os.unlink(tmp_path / "result")
    assert collect_garbage(store, dry_run=True).deleted and os.path.exists(profile)
    collect_garbage(store)
    assert os.listdir(store.store_dir) == [] and store.valid_paths() == []


def test_profile_generations_are_roots(store: Store, tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    first = build_profile(store, BuildRequest("sysvinit", str(MODEL)))
    create_generation(str(profiles / "processes"), first)
    add_indirect_root(store, str(profiles))
    undeployed = build_profile(store, BuildRequest("sysvinit", None))
    create_generation(str(profiles / "processes"), undeployed)
    collect_garbage(store)
    assert os.path.exists(first) and os.path.exists(undeployed)


def test_cli_reports_what_it_deleted(tmp_path: Path) -> None:
    with Store(str(tmp_path / "root")) as opened:
        stray = opened.add_text("stray", "x")
    command = [sys.executable, "-c", "from nixproc_disnix.cli.gc import gc; gc()"]
    result = subprocess.run([*command, "--store-dir", str(tmp_path / "root" / "store")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [stray] and "1 store paths deleted" in result.stderr
