"""Manager-specific constructors at upstream's import paths, composed as hand-written models compose them."""
from __future__ import annotations

import json
from typing import Any

import pytest

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.errors import EvalError
from nixproc_disnix.framework import install, search_path_entry

# A composition as upstream's examples write it: tools we do not need are accepted and ignored.
COMPOSITION = """{
  stdenv = null; writeTextFile = null; lib = null; daemon = null; initFunctions = null;
  createCredentials = import <nix-processmgmt/nixproc/create-credentials> {
    ids = { uids.web = 2001; gids.web = 2001; };
    forceDisableUserChange = false;
  };
  runtimeDir = "/run"; logDir = "/var/log"; tmpDir = "/tmp"; forceDisableUserChange = false;
}"""

MINIMAL = {
    "sysvinit/create-sysvinit-script.nix": ('{ name = "x"; process = "/bin/x"; }', "etc/rc.d/init.d/x"),
    "bsdrc/create-bsdrc-script.nix": ('{ name = "x"; command = "/bin/x"; }', "etc/rc.d/x"),
    "systemd/create-systemd-service.nix": (
        '{ name = "x"; Service.ExecStart = "/bin/x"; }', "etc/systemd/system/nix-process-x.service"
    ),
    "supervisord/create-supervisord-program.nix": ('{ name = "x"; command = "/bin/x"; }', "conf.d/x.conf"),
    "launchd/create-launchd-daemon.nix": ('{ name = "x"; Program = "/bin/x"; }', "Library/LaunchDaemons/org.nixos.x.plist"),
    "cygrunsrv/create-cygrunsrv-params.nix": ('{ name = "x"; path = "/bin/x"; }', "nix-process-x-cygrunsrvparams"),
    "disnix/create-process-script.nix": ('{ name = "x"; process = "/bin/x"; }', "etc/dysnomia/process/x"),
    "docker/create-docker-container.nix": (
        '{ name = "x"; dockerImage = "/img"; dockerImageTag = "x:latest"; }', "x-docker-createparams"
    ),
}


def evaluate(expression: str) -> Any:
    ev = Evaluator(search_path=[search_path_entry()])
    install(ev)
    return ev, ev.force(ev.eval_string(expression))


@pytest.mark.parametrize("path", sorted(MINIMAL))
def test_each_native_create_function_makes_its_backends_files(path: str) -> None:
    params, expected = MINIMAL[path]
    ev, files = evaluate(f"(import <nix-processmgmt/nixproc/backends/{path}> {COMPOSITION} {params}).files")
    assert expected in json.loads(files)


def test_sysvinit_scripts_order_after_their_dependencies_and_credentials_take_ids() -> None:
    ev, result = evaluate(f"""
      let
        create = import <nix-processmgmt/nixproc/backends/sysvinit/create-sysvinit-script.nix> {COMPOSITION};
        first = create {{ name = "first"; process = "/bin/first"; runlevels = [ 3 ];
                          credentials.users.web = {{ group = "web"; }}; }};
        second = create {{ name = "second"; process = "/bin/second"; runlevels = [ 3 ]; dependencies = [ first ]; }};
      in {{ inherit (second) sequence; second = second.files; first = first.files; }}""")
    assert ev.force(result["sequence"]) == 1
    assert "etc/rc.d/rc3.d/S01second" in json.loads(ev.force(result["second"]))
    assert json.loads(ev.force(result["first"]))["dysnomia-support/users/web"]["content"] == "uid=2001\ngroup='web'\n\n"


def test_create_credentials_alone_is_the_dysnomia_support_output() -> None:
    ev, files = evaluate("""(import <nix-processmgmt/nixproc/create-credentials> { ids.gids.web = 2001; }
      { groups.web = {}; users.web = { group = "web"; homeDir = "/home/web"; createHomeDir = true; }; }).files""")
    assert json.loads(files) == {
        "dysnomia-support/groups/web": {"content": "gid=2001\n\n", "executable": False},
        "dysnomia-support/users/web": {
            "content": "createHomeDir='1'\ngroup='web'\nhomeDir='/home/web'\n\n", "executable": False
        },
    }


def test_s6_rc_constructors_are_an_attribute_set() -> None:
    ev, files = evaluate(f"""((import <nix-processmgmt/nixproc/backends/s6-rc> {COMPOSITION}).createOneShotService
      {{ name = "setup"; up = "/bin/setup"; }}).files""")
    assert json.loads(files)["etc/s6/sv/setup/type"]["content"] == "oneshot\n"


def test_unknown_native_parameters_are_refused_with_the_function_named() -> None:
    with pytest.raises(EvalError, match="createSystemVInitScript"):
        evaluate(f"""(import <nix-processmgmt/nixproc/backends/sysvinit/create-sysvinit-script.nix> {COMPOSITION}
          {{ name = "x"; proces = "/bin/x"; }}).files""")
