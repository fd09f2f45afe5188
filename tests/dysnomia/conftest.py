"""Fixtures of the Dysnomia module tests: a store, a state directory, the process reaper, fake tools."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Tools, reaper, store  # noqa: E402,F401  (fixtures)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    for name in ("run", "log", "tmp"):
        (directory / name).mkdir(parents=True)
    return directory


@pytest.fixture
def tools(tmp_path: Path) -> Tools:
    return Tools(tmp_path)
