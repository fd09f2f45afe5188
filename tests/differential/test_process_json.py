"""Differential tests: the agnostic process JSON and toString-then-quote against real Nix 2.8.

For each argument set, Nix gives both the value (``--json``) and
``builtins.toJSON`` of it; our model, built from the value, must render the
same bytes. Likewise Nix's ``toString`` wrapped in the single-quote escaping
of ``escapeShellArg`` must equal ours.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from nixproc_disnix.backends.common.util import escape_shell_arg
from nixproc_disnix.model.process import ProcessParams

pytestmark = pytest.mark.nix

ARGUMENT_SETS = [
    """{ name = "webapp"; instanceName = "webapp"; description = "Simple web application";
         process = "/nix/store/aaaa-webapp/bin/webapp"; daemonArgs = [ "-D" ];
         environment = { PORT = 5000; PID_FILE = "/tmp/webapp.pid"; };
         user = "webapp";
         credentials = { groups.webapp = {}; users.webapp = { group = "webapp"; description = "Webapp"; }; };
         overrides.sysvinit.runlevels = [ 3 4 5 ]; }""",
    """{ instanceName = "x"; pidFile = null; daemon = null; args = [ "-p" 8080 1.5 0.1 1.0e6 true null ];
         environment = { "é" = "ü"; B = 2; b = false; _x = 3.0; };
         initialize = "echo \\"$a\\"\\n\\ttab \\\\ \\${HOME} `x` 'q'"; postInstall = "";
         overrides = { systemd.Service.Restart = "always"; docker.image = { tag = null; }; }; }""",
    """{ name = "n"; credentials = { users.u = { createHomeDir = true; homeDir = "/h"; uid = 1000;
         extraGroups = [ "a" ]; }; }; path = [ "/nix/store/b-coreutils" ]; nice = "10"; umask = "022"; }""",
]

SCALARS = '[ "plain" "" "it\'s" "$x `y` \\\\" "a\\nb" 5000 (-3) 1.5 true false null [ "a" 1 null ] ]'


def nix_json(nix: str, expression: str) -> object:
    result = subprocess.run(
        [nix, "--eval", "--strict", "--json", "--expr", expression], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("expression", ARGUMENT_SETS)
def test_render_json_matches_builtins_to_json(nix: str, expression: str) -> None:
    value, expected = nix_json(nix, f"let a = {expression}; in [ a (builtins.toJSON a) ]")
    assert ProcessParams.from_data(value).render_json() == expected


def test_escape_shell_arg_matches_nix_to_string(nix: str) -> None:
    values, expected = nix_json(
        nix,
        f"let xs = {SCALARS}; in "
        """[ xs (map (x: "'${builtins.replaceStrings [ "'" ] [ "'\\\\''" ] (toString x)}'") xs) ]""",
    )
    assert [escape_shell_arg(value) for value in values] == expected
