"""``nixproc doctor``: a table by default, the report model as ``--json``, exit 0 whatever is missing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nixproc_disnix.cli.main import main
from nixproc_disnix.model.doctor import DoctorReport

ROOT = Path(__file__).resolve().parents[2]


def test_json_validates_against_the_model_and_finds_bash() -> None:
    result = CliRunner().invoke(main, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = DoctorReport.parse_json(result.stdout)
    sysvinit = next(component for component in report.components if component.name == "sysvinit")
    assert sysvinit.tools[0].command == "bash" and sysvinit.tools[0].found


def test_table_lists_every_component() -> None:
    result = CliRunner().invoke(main, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("sysvinit", "systemd", "supervisord", "s6-rc", "docker", "nix", "graphviz", "shellcheck"):
        assert name in result.stdout
    assert "bash" in result.stdout


def test_nothing_found_is_still_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = DoctorReport.parse_json(result.stdout)
    assert not any(tool.found for component in report.components for tool in component.tools)
    table = CliRunner().invoke(main, ["doctor"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "apt-get install supervisor" in table.stdout


def test_as_a_process() -> None:
    """The real command: nothing but the JSON on standard output, nothing on standard error."""
    completed = subprocess.run([sys.executable, "-m", "nixproc_disnix.cli", "doctor", "--json"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    assert (completed.returncode, completed.stderr) == (0, "")
    DoctorReport.parse_json(completed.stdout)
