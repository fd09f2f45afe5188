from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nixproc_disnix.store.store import Store
from pkgs_builds import Builds


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "root")) as s:
        yield s


@pytest.fixture
def builds(store: Store, tmp_path: Path) -> Builds:
    workdir = tmp_path / "work"
    workdir.mkdir()
    return Builds(store, workdir)
