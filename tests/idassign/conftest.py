"""The ``nix`` fixture for id-assign's comparisons against real Nix.

As in ``tests/differential``: a test using it fails (never skips) when
``nix-instantiate`` is missing, and carries the ``nix`` marker so
``-m "not nix"`` deselects it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents and "nix" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nix)


@pytest.fixture(scope="session")
def nix() -> str:
    """Path of ``nix-instantiate``; the test fails (not skips) if it is not installed."""
    path = shutil.which("nix-instantiate")
    assert path is not None, "nix-instantiate is required for the comparisons with Nix (Debian: apt-get install nix-bin)"
    return path
