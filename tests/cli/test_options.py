"""Shared command-line options: ``--pkgs`` and its ``NIXPROC_PKGS`` variable."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from nixproc_disnix.cli.options import pkgs_option


@click.command()
@pkgs_option
def show_pkgs(pkgs: str) -> None:
    click.echo(pkgs)


@pytest.mark.parametrize(("args", "env", "chosen"), [
    ([], {"NIXPROC_PKGS": None}, "host"),
    (["--pkgs", "stub"], {"NIXPROC_PKGS": None}, "stub"),
    ([], {"NIXPROC_PKGS": "nix"}, "nix"),
    (["--pkgs", "host"], {"NIXPROC_PKGS": "stub"}, "host"),
])
def test_pkgs_option_chooses_a_resolver(args: list[str], env: dict[str, str | None], chosen: str) -> None:
    result = CliRunner().invoke(show_pkgs, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"{chosen}\n"


def test_pkgs_option_rejects_unknown_resolvers() -> None:
    result = CliRunner().invoke(show_pkgs, ["--pkgs", "apt"])
    assert result.exit_code == 2
    assert "'apt' is not one of 'host', 'nix', 'stub'" in result.output
    assert "NIXPROC_PKGS" in CliRunner().invoke(show_pkgs, ["--help"]).output
