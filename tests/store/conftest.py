from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from store_oracle import NixOracle


@pytest.fixture(scope="session")
def nix(tmp_path_factory: pytest.TempPathFactory) -> NixOracle:
    """Real Nix; a missing Nix fails the differential tests instead of skipping them."""
    assert shutil.which("nix-instantiate"), "nix-instantiate not found: differential store tests need Nix 2.8"
    return NixOracle(tmp_path_factory.mktemp("nix"))


@pytest.fixture
def source_tree(tmp_path: Path) -> Path:
    """A directory with a file, an executable, a subdirectory, a symlink and an empty file."""
    root = tmp_path / "tree"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "file.txt").write_text("hello\n")
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    (root / "sub" / "data.bin").write_bytes(bytes(range(256)) * 3)
    (root / "sub" / "deeper" / "empty").write_bytes(b"")
    (root / "link").symlink_to("file.txt")
    (root / "dangling").symlink_to("../nowhere")
    (root / "Zeta").write_text("upper case sorts first\n")
    return root
