"""Every data file the package reads at run time is declared as package data.

An editable install reads files straight from the checkout, so a missing
pattern only shows after `pip install .` -- the README's first command.
"""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "nixproc_disnix"


def test_every_data_file_matches_a_package_data_pattern() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    data_files = [p for p in PACKAGE.rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data_files, "the package ships data files (grammar, Nix code, templates)"
    undeclared = []
    for path in data_files:
        # setuptools matches each pattern relative to the package directory that holds the file.
        owner = next(parent for parent in path.parents if (parent / "__init__.py").exists())
        relative = path.relative_to(owner).as_posix()
        if not any(fnmatch.fnmatch(relative, pattern) for pattern in patterns):
            undeclared.append(path.relative_to(ROOT).as_posix())
    assert undeclared == []
