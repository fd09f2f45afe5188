"""``nixproc-id-assign`` and ``dydisnix-id-assign`` end to end, on temporary copies of the models.

The commands run through click's CliRunner; the error cases also run as a
process, where a Python traceback would show. The ``nix`` tests check that
the inputs we evaluate are what real Nix evaluates them to.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from nixproc_disnix.cli.idassign import dydisnix_id_assign, nixproc_id_assign
from nixproc_disnix.cli.main import main
from nixproc_disnix.compiler.eval.instantiate import make_evaluator
from nixproc_disnix.idassign.models import (
    Opaque,
    call_with_declared,
    distribution_of,
    requirements_of,
    to_python,
)
from nixproc_disnix.model.ids import IdResources, Ids

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webapps-agnostic"

SERVICES = """\
{ system, pkgs, distribution, invDistribution, uidUsers ? [ "svcA" "svcC" ] }:

let
  uses = name: if builtins.elem name uidUsers then [ "uids" ] else [];
in
rec {
  svcA = {
    name = "svcA";
    pkg = pkgs.hello;
    requiresUniqueIdsFor = [ "ports" ] ++ uses "svcA";
    needs = [ "uids" ];
  };
  svcB = {
    name = "svcB";
    pkg = throw "svcB is never built";
    requiresUniqueIdsFor = [ "ports" ] ++ uses "svcB";
  };
  svcC = {
    name = "svcC";
    pkg = pkgs.nonexistent;
    requiresUniqueIdsFor = [ "ports" ] ++ uses "svcC";
    needs = [ "uids" ];
  };
  plain = { name = "plain"; pkg = null; requiresUniqueIdsFor = "uids"; };
}
"""

INFRASTRUCTURE = """\
{
  test1 = { properties.hostname = "test1"; };
  test2 = { properties.hostname = "test2"; };
}
"""

DISTRIBUTION = """\
{ infrastructure }:
{
  svcA = [ infrastructure.test1 ];
  svcB = [ infrastructure.test1 ];
  svcC = { targets = [ { target = infrastructure.test2; container = "process"; } ]; };
  plain = [];
}
"""

RESOURCES = """\
rec {
  ports = { min = 3000; max = 3010; scope = "machine"; };
  uids = { min = 2000; max = 2010; };
}
"""

DISTRIBUTED_IDS = """\
{
  "ids" = {
    "ports" = {
      "svcA" = 3000;
      "svcB" = 3001;
      "svcC" = 3000;
    };
    "uids" = {
      "svcA" = 2000;
      "svcC" = 2001;
    };
  };
  "lastAssignments" = {
    "uids" = 2001;
  };
  "lastAssignmentsPerTarget" = {
    "test1" = {
      "ports" = 3001;
    };
    "test2" = {
      "ports" = 3000;
    };
  };
}"""


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Services, infrastructure, distribution and resources models in a fresh directory, no <nixpkgs>."""
    monkeypatch.setenv("NIX_PATH", "")
    for name, text in [("services.nix", SERVICES), ("infrastructure.nix", INFRASTRUCTURE),
                       ("distribution.nix", DISTRIBUTION), ("idresources.nix", RESOURCES)]:
        write(tmp_path, name, text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def webapps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/webapps-agnostic without an ids.nix."""
    monkeypatch.setenv("NIX_PATH", "")
    for variable in ("NIXPROC_PROCESSES", "NIXPROC_STATE_DIR", "NIXPROC_FORCE_DISABLE_USER_CHANGE"):
        monkeypatch.delenv(variable, raising=False)
    copy = tmp_path / "webapps"
    shutil.copytree(EXAMPLE, copy)
    (copy / "ids.nix").unlink(missing_ok=True)
    return copy


def dydisnix(*args: str):
    return CliRunner().invoke(dydisnix_id_assign, list(args))


def nixproc(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(nixproc_id_assign, list(args), env=env)


def as_process(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The console script as a process (a traceback would show on standard error)."""
    code = f"from nixproc_disnix.cli.idassign import {script}; {script}()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def load_ids(path: Path | str) -> Ids:
    ev = make_evaluator([])
    return Ids.from_data(to_python(ev, ev.eval_file(str(Path(path).resolve()))))


# nixproc-id-assign --------------------------------------------------------------


def test_processes_form_updates_ids_nix_beside_the_model(webapps: Path) -> None:
    result = nixproc(str(webapps / "processes.nix"))
    assert result.exit_code == 0, result.output
    assert result.output == ""
    ids = load_ids(webapps / "ids.nix")
    assert ids.ids == {
        "gids": {"nginx": 2000, "webapp1": 2001, "webapp2": 2002},
        "nginxPorts": {"nginx": 8080},
        "uids": {"nginx": 2000, "webapp1": 2001, "webapp2": 2002},
        "webappPorts": {"webapp1": 5000, "webapp2": 5001},
    }
    assert ids.last_assignments == {"gids": 2002, "nginxPorts": 8080, "uids": 2002, "webappPorts": 5001}


def test_processes_form_rerun_is_stable_and_output_reads_back_as_ids(webapps: Path) -> None:
    model = str(webapps / "processes.nix")
    assert nixproc(model).exit_code == 0
    first = (webapps / "ids.nix").read_text()
    assert nixproc(model).exit_code == 0
    assert (webapps / "ids.nix").read_text() == first
    again = nixproc(model, "--ids", str(webapps / "ids.nix"), "--output-file", "-")
    assert again.exit_code == 0, again.output
    assert again.output == first


def test_processes_form_from_nixproc_processes_and_the_nixproc_group(webapps: Path) -> None:
    result = CliRunner().invoke(main, ["id-assign", "--output-xml"],
                                env={"NIXPROC_PROCESSES": str(webapps / "processes.nix")})
    assert result.exit_code == 0, result.output
    assert Ids.parse_xml(result.output).ids["webappPorts"] == {"webapp1": 5000, "webapp2": 5001}
    assert not (webapps / "ids.nix").exists()


def test_processes_form_passes_only_given_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIX_PATH", "")
    monkeypatch.delenv("NIXPROC_STATE_DIR", raising=False)
    model = write(tmp_path, "processes.nix", """\
        { stateDir ? "/var", processManager, forceDisableUserChange ? false }:
        {
          svc = {
            pkg = throw "never built";
            requiresUniqueIdsFor =
              (if stateDir == "/srv" then [ "uids" ] else [])
              ++ (if processManager == null then [ "ports" ] else [])
              ++ (if forceDisableUserChange then [ "gids" ] else []);
          };
        }
        """)
    write(tmp_path, "idresources.nix", "{ uids = { min = 1; max = 9; }; ports = { min = 1; max = 9; }; "
                                       "gids = { min = 1; max = 9; }; }")

    def assigned(*args: str, env: dict[str, str] | None = None) -> set[str]:
        result = nixproc(model, "--output-file", "-", *args, env=env)
        assert result.exit_code == 0, result.output
        ids = Ids.from_data(to_python(make_evaluator([]), make_evaluator([]).eval_string(result.output)))
        return {resource for resource, table in ids.ids.items() if table}

    assert assigned() == {"ports"}
    assert assigned("--state-dir", "/srv") == {"uids", "ports"}
    assert assigned(env={"NIXPROC_STATE_DIR": "/srv", "NIXPROC_FORCE_DISABLE_USER_CHANGE": "1"}) == {
        "uids", "ports", "gids"}
    assert assigned("--state-dir", "/var", env={"NIXPROC_STATE_DIR": "/srv"}) == {"ports"}
    assert assigned("--extra-params", '{ processManager = "sysvinit"; }') == set()


def test_processes_form_errors(webapps: Path, tmp_path: Path) -> None:
    missing = nixproc()
    assert missing.exit_code == 1
    assert "A processes Nix expression must be provided!" in missing.output
    (webapps / "idresources.nix").unlink()
    no_resources = as_process("nixproc_id_assign", str(webapps / "processes.nix"), cwd=tmp_path)
    assert no_resources.returncode == 1
    assert no_resources.stderr == "error: An ID resources configuration must be provided!\n"


# dydisnix-id-assign ---------------------------------------------------------------


def test_distribution_mode_global_and_machine_scope(models: Path) -> None:
    result = dydisnix("-s", "services.nix", "-i", "infrastructure.nix", "-d", "distribution.nix",
                      "--id-resources", "idresources.nix")
    assert result.exit_code == 0, result.output
    assert result.output == DISTRIBUTED_IDS


def test_services_mode_and_service_property(models: Path) -> None:
    write(models, "global.nix", "{ uids = { min = 2000; max = 2010; }; }")
    result = dydisnix("-s", "services.nix", "--id-resources", "global.nix")
    assert result.exit_code == 0, result.output
    assert load_ids_text(result.output).ids == {"uids": {"svcA": 2000, "svcC": 2001}}
    needs = dydisnix("-s", "services.nix", "--id-resources", "global.nix", "--service-property", "needs",
                     "--extra-params", '{ uidUsers = [ "svcB" ]; }')
    assert needs.exit_code == 0, needs.output
    assert load_ids_text(needs.output).ids == {"uids": {"svcA": 2000, "svcC": 2001}}
    extra = dydisnix("-s", "services.nix", "--id-resources", "global.nix", "--extra-params", '{ uidUsers = [ "svcB" ]; }')
    assert load_ids_text(extra.output).ids == {"uids": {"svcB": 2000}}


def load_ids_text(text: str) -> Ids:
    ev = make_evaluator([])
    return Ids.from_data(to_python(ev, ev.eval_string(text)))


def test_previous_ids_are_kept(models: Path) -> None:
    write(models, "ids.nix", '{ ids = { uids = { svcC = 2005; gone = 2001; }; }; lastAssignments = { uids = 2005; }; }')
    result = dydisnix("-s", "services.nix", "-i", "infrastructure.nix", "-d", "distribution.nix",
                      "--id-resources", "idresources.nix", "--ids", "ids.nix", "--output-file", "out.nix")
    assert result.exit_code == 0, result.output
    ids = load_ids(models / "out.nix")
    assert ids.ids["uids"] == {"svcA": 2006, "svcC": 2005}


def test_xml_round_trip(models: Path) -> None:
    nix_args = ["-s", "services.nix", "-i", "infrastructure.nix", "-d", "distribution.nix",
                "--id-resources", "idresources.nix"]
    assert dydisnix(*nix_args, "--output-xml", "--output-file", "ids.xml").exit_code == 0
    expected = load_ids_text(DISTRIBUTED_IDS)
    assert Ids.parse_xml((models / "ids.xml").read_bytes()) == expected

    ev = make_evaluator([])
    (models / "idresources.xml").write_text(IdResources.from_data(
        to_python(ev, ev.eval_file(str(models / "idresources.nix")))).render_xml())
    write(models, "services.xml", """\
        <services>
          <service name="svcA"><requiresUniqueIdsFor><elem>ports</elem><elem>uids</elem></requiresUniqueIdsFor></service>
          <service name="svcB"><requiresUniqueIdsFor><elem>ports</elem></requiresUniqueIdsFor></service>
          <service name="svcC"><requiresUniqueIdsFor><elem>ports</elem><elem>uids</elem></requiresUniqueIdsFor></service>
          <service name="plain"><requiresUniqueIdsFor>uids</requiresUniqueIdsFor></service>
        </services>
        """)
    write(models, "distribution.xml", """\
        <distribution>
          <service name="svcA"><mapping><target>test1</target></mapping></service>
          <service name="svcB"><mapping><target>test1</target></mapping></service>
          <service name="svcC"><mapping><target>test2</target><container>process</container></mapping></service>
          <service name="plain"></service>
        </distribution>
        """)
    xml = dydisnix("--xml", "-s", "services.xml", "-i", "infrastructure.xml", "-d", "distribution.xml",
                   "--id-resources", "idresources.xml", "--ids", "ids.xml")
    assert xml.exit_code == 0, xml.output
    assert xml.output == DISTRIBUTED_IDS
    xml_out = dydisnix("--xml", "-s", "services.xml", "-d", "distribution.xml", "--id-resources", "idresources.xml",
                       "--ids", "ids.xml", "--output-xml")
    assert xml_out.output == (models / "ids.xml").read_text()


def test_depletion_leaves_the_output_file_untouched(models: Path) -> None:
    write(models, "small.nix", '{ ports = { min = 3000; max = 3000; scope = "machine"; }; }')
    (models / "out.nix").write_text("previous output")
    result = as_process("dydisnix_id_assign", "-s", "services.nix", "-i", "infrastructure.nix",
                        "-d", "distribution.nix", "--id-resources", "small.nix", "--output-file", "out.nix",
                        cwd=models)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: The amount of IDs is depleted!")
    assert "'ports'" in result.stderr and "'svcB'" in result.stderr
    assert (models / "out.nix").read_text() == "previous output"
    assert sorted(p.name for p in models.iterdir()) == sorted(
        ["services.nix", "infrastructure.nix", "distribution.nix", "idresources.nix", "small.nix", "out.nix"])


def test_malformed_model_is_one_line_with_its_position(models: Path) -> None:
    write(models, "broken.nix", "{ system, pkgs, distribution, invDistribution }:\n{\n  svc = { name = \"svc\"; ;\n}\n")
    result = as_process("dydisnix_id_assign", "-s", "broken.nix", "--id-resources", "idresources.nix", cwd=models)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
    assert result.stderr.rstrip().endswith(f"at {models / 'broken.nix'}:3:25")


def test_evaluation_error_names_the_model(models: Path) -> None:
    write(models, "bad.nix", "{ ... }: { svc = { requiresUniqueIdsFor = [ \"uids\" ] ++ 1; }; }")
    result = as_process("dydisnix_id_assign", "-s", "bad.nix", "--id-resources", "idresources.nix", cwd=models)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"{models / 'bad.nix'}:1:" in result.stderr


def test_pkgs_without_a_nixpkgs_is_our_package_set(models: Path) -> None:
    write(models, "uses-pkgs.nix", "{ pkgs, ... }: { svc = { requiresUniqueIdsFor = pkgs.lib.attrNames { uids = 1; }; }; }")
    write(models, "uids.nix", "{ uids = { min = 2000; max = 3000; }; }")
    result = dydisnix("-s", "uses-pkgs.nix", "--id-resources", "uids.nix")
    assert result.exit_code == 0, result.output
    assert '"svc" = 2000;' in result.output


def test_missing_options(models: Path) -> None:
    no_resources = dydisnix("-s", "services.nix")
    assert no_resources.exit_code == 1
    assert no_resources.output == "error: An ID resources expression must be specified!\n"
    unknown_scope = dydisnix("-s", "services.nix", "--id-resources", "idresources.nix")
    assert unknown_scope.exit_code == 1
    assert "Unknown scope: machine" in unknown_scope.output


# The evaluated inputs against real Nix ---------------------------------------------------


def nix_json(nix: str, expr: str, cwd: Path) -> object:
    out = subprocess.run([nix, "--eval", "--strict", "--json", "-E", expr], capture_output=True, text=True,
                         cwd=cwd, timeout=120, check=True)
    return json.loads(out.stdout)


def test_inputs_match_nix(nix: str, models: Path) -> None:
    ev = make_evaluator([])
    services = ev.call(ev.eval_file(str(models / "services.nix")), ev.eval_string(
        "{ system = builtins.currentSystem; pkgs = null; distribution = {}; invDistribution = {}; }"))
    requirements = requirements_of(ev, services, "requiresUniqueIdsFor", "services model")
    theirs = nix_json(nix, "builtins.mapAttrs (n: s: s.requiresUniqueIdsFor) (import ./services.nix "
                           "{ system = builtins.currentSystem; pkgs = null; distribution = {}; invDistribution = {}; })",
                      models)
    assert requirements.services == {
        name: frozenset(value) if isinstance(value, list) else frozenset() for name, value in theirs.items()}

    table = distribution_of(ev, ev.eval_file(str(models / "infrastructure.nix")),
                            ev.eval_file(str(models / "distribution.nix")), ev.eval_string("{}"))
    theirs = nix_json(nix, "builtins.mapAttrs (n: m: map (t: (t.target or t).properties.hostname) "
                           "(if builtins.isAttrs m then m.targets else m)) "
                           "(import ./distribution.nix { infrastructure = import ./infrastructure.nix; })", models)
    assert {service: list(targets) for service, targets in table.targets.items()} == theirs

    assert to_python(ev, ev.eval_file(str(models / "idresources.nix"))) == nix_json(nix, "import ./idresources.nix",
                                                                                  models)


def test_processes_inputs_match_nix(nix: str, webapps: Path) -> None:
    ev = make_evaluator([])
    processes = call_with_declared(ev, ev.eval_file(str(webapps / "processes.nix")),
                                   ev.eval_string("{ processManager = null; stateDir = \"/srv\"; }"), "processes model")
    requirements = requirements_of(ev, processes, "requiresUniqueIdsFor", "processes model")
    theirs = nix_json(nix, "builtins.mapAttrs (n: p: p.requiresUniqueIdsFor) "
                           "(import ./processes.nix { processManager = null; stateDir = \"/srv\"; })", webapps)
    assert requirements.services == {name: frozenset(value) for name, value in theirs.items()}


def test_written_ids_match_nix(nix: str, webapps: Path) -> None:
    assert nixproc(str(webapps / "processes.nix")).exit_code == 0
    theirs = nix_json(nix, "import ./ids.nix", webapps)
    assert Ids.from_data(theirs) == load_ids(webapps / "ids.nix")


def test_non_ascii_names_keep_their_bytes(nix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIX_PATH", "")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "services.nix").write_bytes('{ ... }: { "café" = { requiresUniqueIdsFor = [ "uids" ]; }; }'.encode())
    write(tmp_path, "idresources.nix", "{ uids = { min = 1; max = 9; }; }")
    args = ["-s", "services.nix", "--id-resources", "idresources.nix"]
    assert dydisnix(*args, "--output-file", "ids.nix").exit_code == 0
    assert nix_json(nix, "import ./ids.nix", tmp_path) == {"ids": {"uids": {"café": 1}}, "lastAssignments": {"uids": 1}}
    again = dydisnix(*args, "--ids", "ids.nix")
    assert again.stdout_bytes == (tmp_path / "ids.nix").read_bytes()


def test_to_python_leaves_functions_and_derivations_opaque() -> None:
    ev = make_evaluator([])
    value = ev.eval_string('{ f = x: x; d = { type = "derivation"; out = throw "not forced"; }; s = "a${"b"}"; }')
    assert to_python(ev, value) == {"d": Opaque("derivation"), "f": Opaque("function"), "s": "ab"}
