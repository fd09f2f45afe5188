"""createManagedProcess through our framework files, evaluated by our evaluator (no store needed)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nixproc_disnix.backends.common.backend import generate
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.framework import FRAMEWORK_DIR, install, search_path_entry
from nixproc_disnix.model.process import ProcessParams, resolve

UNIVERSAL = "nixproc/create-managed-process/universal/create-managed-process-universal.nix"


def evaluator(*extra: tuple[str, str]) -> Evaluator:
    ev = Evaluator(search_path=[*extra, search_path_entry()])
    install(ev)
    return ev


def create(process_manager: str | None, body: str, *, force_disable: bool = False) -> str:
    """A Nix expression calling createManagedProcess as models do, through ``"${nix-processmgmt}/..."``."""
    manager = "null" if process_manager is None else f'"{process_manager}"'
    return f'''
      let
        nix-processmgmt = <nix-processmgmt>;
        createManagedProcess = import "${{nix-processmgmt}}/{UNIVERSAL}" {{
          pkgs = {{}}; stateDir = "/var"; runtimeDir = "/var/run"; logDir = "/var/log"; tmpDir = "/tmp";
          forceDisableUserChange = {"true" if force_disable else "false"}; processManager = {manager};
        }};
      in {body}'''


def force(ev: Evaluator, expression: str) -> Any:
    return ev.force(ev.eval_string(expression))


WEBAPP = '''{
  instanceName = "webapp";
  process = "/usr/bin/webapp";
  daemonArgs = [ "-D" ];
  environment = { PORT = 5000; };
  user = "webapp";
  credentials = { groups.webapp = {}; users.webapp = { group = "webapp"; description = "Webapp"; }; };
  overrides.sysvinit.runlevels = [ 3 4 5 ];
}'''


def test_agnostic_config_is_the_literal_arguments_as_json() -> None:
    ev = evaluator()
    files = json.loads(force(ev, create(None, f"(createManagedProcess {WEBAPP}).files")))
    content = files["webapp.json"]["content"]
    assert json.loads(content) == {
        "instanceName": "webapp", "process": "/usr/bin/webapp", "daemonArgs": ["-D"],
        "environment": {"PORT": 5000}, "user": "webapp",
        "credentials": {"groups": {"webapp": {}}, "users": {"webapp": {"group": "webapp", "description": "Webapp"}}},
        "overrides": {"sysvinit": {"runlevels": [3, 4, 5]}},
    }
    assert content == ProcessParams.parse_json(content).render_json()


def test_a_generator_gets_what_resolving_the_agnostic_json_gives() -> None:
    """The Nix path and the JSON path reach the backend with the same process (→ the same files)."""
    ev = evaluator()
    through_nix = json.loads(force(ev, create("sysvinit", f"(createManagedProcess {WEBAPP}).files")))
    params = ProcessParams.parse_json(
        json.loads(force(ev, create(None, f"(createManagedProcess {WEBAPP}).files")))["webapp.json"]["content"]
    )
    settings = BackendSettings(state_dir="/var", runtime_dir="/var/run", log_dir="/var/log", tmp_dir="/tmp")
    through_json = json.loads(generate("sysvinit", resolve(params, "sysvinit"), settings).files_json())
    assert through_nix == through_json
    assert "etc/rc.d/rc3.d/S00webapp" in through_nix


def test_dependencies_carry_their_name_and_ordering() -> None:
    ev = evaluator()
    result = force(ev, create("sysvinit", '''
      let
        first = createManagedProcess { name = "first"; process = "/bin/first"; };
        second = createManagedProcess { name = "second"; process = "/bin/second"; dependencies = [ first ]; };
      in { inherit (second) sequence name; files = second.files; firstOut = first.outPath; }'''))
    assert ev.force(result["sequence"]) == 1 and ev.force(result["name"]) == "second"
    assert "etc/rc.d/rc3.d/S01second" not in json.loads(ev.force(result["files"]))  # no runlevels given
    assert "Should-Start:  first" in json.loads(ev.force(result["files"]))["etc/rc.d/init.d/second"]["content"]


def test_function_overrides_are_called_with_the_generated_arguments() -> None:
    ev = evaluator()
    files = json.loads(force(ev, create("sysvinit", '''(createManagedProcess {
      name = "x"; process = "/bin/x";
      overrides.sysvinit = args: args // { runlevels = [ 2 ]; description = "from ${args.name}"; };
    }).files''')))
    assert "etc/rc.d/rc2.d/S00x" in files
    assert "Description:   from x" in files["etc/rc.d/init.d/x"]["content"]


def test_errors_are_upstreams() -> None:
    ev = evaluator()
    with pytest.raises(ThrownError, match="No process name was specified or can be inferred!"):
        force(ev, create("sysvinit", '(createManagedProcess { process = "/bin/x"; }).files'))
    with pytest.raises(ThrownError, match="Unknown process manager: upstart"):
        force(ev, create("upstart", '(createManagedProcess { name = "x"; }).files'))
    with pytest.raises(EvalError, match="called with unexpected argument 'proces'"):
        force(ev, create("sysvinit", '(createManagedProcess { name = "x"; proces = "/bin/x"; }).files'))


def test_the_output_context_holds_what_the_files_mention(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "run").write_text("#!/bin/sh\n")
    ev = evaluator()
    context = force(ev, create("sysvinit", f'''builtins.attrNames (builtins.getContext
      (createManagedProcess {{ name = "x"; process = "${{{tmp_path}/app}}/run"; }}).outPath)'''))
    kinds = sorted("drv" if name.endswith(".drv") else "source" for name in map(ev.force, context))
    assert kinds == ["drv", "source"]


def test_search_path_can_name_another_framework(tmp_path: Path) -> None:
    other = tmp_path / "nixproc" / "create-managed-process" / "universal"
    other.mkdir(parents=True)
    (other / "create-managed-process-universal.nix").write_text('args: params: "theirs"\n')
    ev = evaluator(("nix-processmgmt", str(tmp_path)))
    assert force(ev, create("sysvinit", '(createManagedProcess { name = "x"; })')) == "theirs"


def test_framework_path_holds_the_upstream_layout() -> None:
    for relative in (
        UNIVERSAL,
        "nixproc/create-managed-process/agnostic/create-managed-process.nix",
        "nixproc/create-managed-process/agnostic/create-agnostic-config.nix",
        "nixproc/backends/sysvinit/build-sysvinit-env.nix",
        "nixproc/backends/s6-rc/build-s6-rc-env.nix",
    ):
        assert (Path(FRAMEWORK_DIR) / relative).is_file(), relative


def test_framework_path_command_prints_the_folder() -> None:
    from click.testing import CliRunner

    from nixproc_disnix.cli.main import main

    result = CliRunner().invoke(main, ["framework-path"])
    assert result.exit_code == 0 and result.output == FRAMEWORK_DIR + "\n"


def test_readiness_reaches_the_agnostic_json_and_the_process_info() -> None:
    ev = evaluator()
    body = '(createManagedProcess { name = "x"; process = "/bin/x"; readiness = { tcpPort = 8080; timeout = 5; }; }).files'
    agnostic = json.loads(json.loads(force(ev, create(None, body)))["x.json"]["content"])
    assert agnostic["readiness"] == {"tcpPort": 8080, "timeout": 5}
    info = json.loads(json.loads(force(ev, create("sysvinit", body)))["nix-support/nixproc/x.json"]["content"])
    assert info["readiness"] == {"tcpPort": 8080, "timeout": 5, "interval": 0.5}
