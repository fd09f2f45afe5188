"""``--json`` results of nixproc-build, nixproc convert and id-assign, and nixproc-build's step lines."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nixproc_disnix.model.results import BuildResult

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "webapps" / "processes.nix"


def nixproc_build(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from nixproc_disnix.cli.build import nixproc_build; nixproc_build()"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_build_json_names_the_profile_its_link_and_what_was_built(tmp_path: Path) -> None:
    store = ["--store-dir", str(tmp_path / "root" / "store"), "-P", "sysvinit"]
    cold = nixproc_build(*store, "--json", str(FIXTURE), cwd=tmp_path)
    assert cold.returncode == 0, cold.stderr
    result = BuildResult.parse_json(cold.stdout)
    assert result.out_link == str(tmp_path / "result") and os.readlink(tmp_path / "result") == result.profile
    assert result.profile in result.built and all(path.startswith(str(tmp_path / "root" / "store")) for path in result.built)
    assert [line for line in cold.stderr.splitlines() if not line.startswith("building '")] == []
    assert len(cold.stderr.splitlines()) == len(result.built)

    again = nixproc_build(*store, "--json", "--no-out-link", "--quiet", str(FIXTURE), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert BuildResult.parse_json(again.stdout) == BuildResult(profile=result.profile, out_link=None, built=[])
    assert again.stderr == ""

    plain = nixproc_build(*store, "--no-out-link", str(FIXTURE), cwd=tmp_path)
    assert plain.stdout == result.profile + "\n" and plain.stderr == ""
    assert json.loads(cold.stdout)["built"] == sorted(result.built)
