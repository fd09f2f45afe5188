"""Every console script's --help shows the option names upstream's tool has (SPEC §5, §6.1, §7.4, §8.1)."""
from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nixproc_disnix.model.process import PROCESS_MANAGERS

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
SCRIPTS: dict[str, str] = tomllib.loads(PYPROJECT.read_text())["project"]["scripts"]

DIRS = ["--state-dir", "--runtime-dir", "--log-dir", "--tmp-dir", "--cache-dir", "--spool-dir", "--lock-dir",
        "--lib-dir", "--force-disable-user-change"]
SWITCH = ["--undeploy", "--rollback", "--switch-generation", "--list-generations", "--delete-generations",
          "--delete-all-generations", "-p", "--profile", "-o", "--old-profile", *DIRS, "--show-trace",
          "--extra-params", "-h"]
DEPLOY = ["-p", "--profile", "-o", "--old-profile", *DIRS, "-h"]
EXTRAS = {"sysvinit": ["--runlevel"], "systemd": ["--user"], "bsdrc": ["--enable-at-boot"]}

UPSTREAM: dict[str, list[str]] = {
    "nixproc-build": ["--undeploy", "-P", "--process-manager", *DIRS, "--no-out-link", "--show-trace",
                      "--extra-params", "-h"],
    "nixproc-init-state": [*DIRS, "-h"],
    "nixproc-generate-config": ["-P", "--process-manager", *DIRS, "--no-out-link", "--show-trace", "-h"],
    "nixproc-id-assign": ["--id-resources", "--ids", "--service-property", *DIRS, "--output-file", "--output-xml",
                          "-h"],
    "dydisnix-id-assign": ["-s", "--services", "-i", "--infrastructure", "-d", "--distribution", "--id-resources",
                           "--ids", "--service-property", "--extra-params", "--xml", "--output-xml", "--output-file",
                           "-h"],
    "nixproc-sysvinit-runactivity": ["-p", "--profile", "-r", "--reverse", "--runlevel", "-h"],
    "nixproc-dysnomia": ["-o", "--operation", "-c", "--component", "-C", "--container", "--type", "-E",
                         "--environment", "-h", "-v"],
    "nixproc-disnix-env": [
        "-s", "--services", "-i", "--infrastructure", "-d", "--distribution", "-P", "--packages", "-A",
        "--architecture", "-D", "--deployment", "--undeploy", "--rollback", "--switch-to-generation",
        "--list-generations", "--delete-generations", "--delete-all-generations", "--target-property", "--interface",
        "--deploy-state", "-p", "--profile", "-m", "--max-concurrent-transfers", "--build-on-targets",
        "--extra-params", "--coordinator-profile-path", "--no-upgrade", "--no-lock", "--no-coordinator-profile",
        "--no-target-profiles", "--no-migration", "--delete-state", "--depth-first", "--keep", "--show-trace", "-h",
        "-v",
    ],
    **{f"nixproc-{pm}-switch": SWITCH + EXTRAS.get(pm, []) for pm in PROCESS_MANAGERS},
    **{f"nixproc-{pm}-deploy": DEPLOY + EXTRAS.get(pm, []) for pm in PROCESS_MANAGERS},
}
"""Upstream's options per script; ours may have more."""


def command(script: str) -> click.Command:
    module, attribute = SCRIPTS[script].split(":")
    found = importlib.import_module(module)
    for name in attribute.split("."):
        found = getattr(found, name)
    assert isinstance(found, click.Command), f"{script} is not a click command"
    return found


def shown_options(script: str) -> set[str]:
    result = CliRunner().invoke(command(script), ["--help"], prog_name=script)
    assert result.exit_code == 0, result.output
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", result.output))


@pytest.mark.parametrize("script", sorted(UPSTREAM))
def test_help_shows_upstreams_option_names(script: str) -> None:
    assert set(UPSTREAM[script]) - shown_options(script) == set()

