"""Differential tests: our parser against real Nix 2.8 (``nix-instantiate``).

These tests FAIL, never skip, when Nix is missing: a green run must mean the
comparison actually happened.  Every test in this directory that uses the
``nix`` fixture carries the ``nix`` marker (declared in pyproject.toml), so
``-m "not nix"`` deselects exactly the tests that need Nix.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "nix: differential test against real Nix (nix-instantiate); fails when Nix is missing")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents and "nix" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nix)


@pytest.fixture(scope="session")
def nix() -> str:
    """Path of ``nix-instantiate``; the test fails (not skips) if it is not installed."""
    path = shutil.which("nix-instantiate")
    assert path is not None, "nix-instantiate is required for the differential tests (Debian: apt-get install nix-bin)"
    return path
