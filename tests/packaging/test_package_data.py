"""Every data file the package reads at run time is declared as package data.

An editable install reads files straight from the checkout, so a missing
pattern only shows after `pip install .` -- the README's first command.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "nixproc_disnix"


def test_every_data_file_matches_a_package_data_pattern() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    data_files = [p for p in PACKAGE.rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data_files, "the package ships data files (grammar, Nix code, templates)"
    # setuptools globs each pattern in every package directory (``*`` stays
    # within one folder, ``**`` crosses folders); a file is shipped when a
    # pattern globbed from the package directory that holds it finds it.
    packages = {path.parent for path in PACKAGE.rglob("__init__.py")}
    declared = {found for package in packages for pattern in patterns for found in package.glob(pattern)}
    undeclared = [path.relative_to(ROOT).as_posix() for path in data_files if path not in declared]
    assert undeclared == []
