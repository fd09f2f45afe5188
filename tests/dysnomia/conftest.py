"""Fixtures of the Dysnomia module tests: a store, a state directory, the process reaper, fake tools."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Reaper, Tools, reap  # noqa: E402

from nixproc_disnix.store.store import Store  # noqa: E402


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "nixproc")) as opened:
        yield opened


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    for name in ("run", "log", "tmp"):
        (directory / name).mkdir(parents=True)
    return directory


@pytest.fixture
def reaper(state: Path) -> Iterator[Reaper]:
    """A marker for the processes the test starts; they and every PID file's process are killed afterwards."""
    started = Reaper()
    yield started
    reap(started, state)


@pytest.fixture
def tools(tmp_path: Path) -> Tools:
    return Tools(tmp_path)
