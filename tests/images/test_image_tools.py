"""Our tools as packages for images: the links to this installation's packages, and a wrapper per command."""
from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

from nixproc_disnix.backends.common.output import GeneratedFile, Symlink, write_output
from nixproc_disnix.image.tools import SITE_PACKAGES, python_environment, tools


def test_the_environment_links_our_package_what_it_requires_and_their_metadata() -> None:
    files = python_environment().files
    links = {path.removeprefix(SITE_PACKAGES + "/"): entry for path, entry in files.items()}
    assert all(isinstance(entry, Symlink) and os.path.isabs(entry.target) for entry in links.values())
    assert os.path.samefile(links["nixproc_disnix"].target, Path(__file__).resolve().parents[2] / "nixproc_disnix")
    for module in ("pydantic", "pydantic_core", "lark", "jinja2", "markupsafe", "click", "networkx", "rich"):
        assert module in links, module
    assert any(name.startswith("pydantic-") and name.endswith(".dist-info") for name in links)
    assert "pytest" not in links and "hypothesis" not in links, "extras are left out"


def test_every_console_script_runs_with_the_environment_alone(tmp_path: Path) -> None:
    environment = tmp_path / "env"
    write_output(python_environment().files, environment)
    package = tools(str(environment))
    scripts = {entry.name for entry in importlib.metadata.distribution("nixproc-disnix").entry_points
               if entry.group == "console_scripts"}
    assert {path.removeprefix("bin/") for path in package.files} == scripts
    assert all(isinstance(entry, GeneratedFile) and entry.executable for entry in package.files.values())
    out = tmp_path / "tools"
    write_output(package.files, out)
    (out / "bin/nixproc").chmod(0o755)
    # -I keeps the caller's environment out: the wrapper finds everything through the links.
    result = subprocess.run([out / "bin/nixproc", "framework-path"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": "/nonexistent"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(environment / SITE_PACKAGES / "nixproc_disnix"))


def test_the_environment_is_the_same_from_any_working_directory(tmp_path: Path) -> None:
    """A source checkout as the working directory (first on ``sys.path``) holds build metadata of its own; the
    environment must still be the installed one's, or every readiness check's store path would move with it."""
    checkout = Path(__file__).resolve().parents[2]
    show = "from nixproc_disnix.image.tools import python_environment; print(python_environment().files_json())"
    listings = {subprocess.run([sys.executable, "-c", show], cwd=directory, capture_output=True, text=True,
                               check=True).stdout for directory in (checkout, tmp_path)}
    assert len(listings) == 1
