"""Fixtures of the Disnix tests, shared with the Dysnomia tests: a store, a state directory, the process reaper."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dysnomia"))

from harness import reaper, store  # noqa: E402,F401  (fixtures)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"
