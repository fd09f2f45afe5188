"""The ``nix`` fixture shared by every comparison with real Nix 2.8 (``nix-instantiate``).

A test that uses it FAILS, never skips, when Nix is missing: a green run must
mean the comparison actually happened.  Such tests carry the ``nix`` marker
(declared in pyproject.toml), so ``-m "not nix"`` deselects exactly them.
"""
from __future__ import annotations

import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "nix" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nix)


@pytest.fixture(scope="session")
def nix() -> str:
    """Path of ``nix-instantiate``; the test fails (not skips) if it is not installed."""
    path = shutil.which("nix-instantiate")
    assert path is not None, "nix-instantiate is required for the comparisons with Nix (Debian: apt-get install nix-bin)"
    return path
