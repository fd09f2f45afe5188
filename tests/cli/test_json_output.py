"""``--json`` results of nixproc-build, nixproc convert and id-assign, and nixproc-build's step lines."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nixproc_disnix.cli.idassign import nixproc_id_assign
from nixproc_disnix.cli.main import main
from nixproc_disnix.model.ids import Ids
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


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webapps-agnostic"


def test_convert_json_is_format_json(tmp_path: Path) -> None:
    common = ["convert", "--pkgs", "stub", "--store-dir", str(tmp_path / "store"), str(EXAMPLE / "processes.nix")]
    by_format = CliRunner().invoke(main, [*common, "--format", "json"])
    by_flag = CliRunner().invoke(main, [*common, "--json"])
    assert by_format.exit_code == 0 and by_flag.exit_code == 0, by_format.output + by_flag.output
    assert by_flag.stdout == by_format.stdout and json.loads(by_flag.stdout)
    assert CliRunner().invoke(main, [*common, "--json", "--format", "xml"]).stdout.startswith("<?xml")


def test_id_assign_json_is_the_ids_model_and_leaves_ids_nix_alone(tmp_path: Path) -> None:
    model = tmp_path / "webapps"
    shutil.copytree(EXAMPLE, model)
    ids_nix = (model / "ids.nix").read_bytes()
    as_json = CliRunner().invoke(nixproc_id_assign, ["--json", str(model / "processes.nix")])
    assert as_json.exit_code == 0, as_json.output
    assert (model / "ids.nix").read_bytes() == ids_nix
    as_nix = CliRunner().invoke(nixproc_id_assign, ["--output-file", str(tmp_path / "ids.nix"), str(model / "processes.nix")])
    assert as_nix.exit_code == 0, as_nix.output
    evaluated = CliRunner().invoke(main, ["eval", "--strict", "--json", str(tmp_path / "ids.nix")])
    assert Ids.from_data(json.loads(as_json.stdout)) == Ids.from_data(json.loads(evaluated.stdout))
    assert set(json.loads(as_json.stdout)) == {"ids", "lastAssignments", "lastAssignmentsPerTarget"}

    both = CliRunner().invoke(nixproc_id_assign, ["--json", "--output-xml", str(model / "processes.nix")])
    assert (both.exit_code, both.stderr) == (1, "error: --output-xml and --json cannot be combined\n")
