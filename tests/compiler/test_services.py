"""nixproc convert: processes models as Disnix services models."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nixproc_disnix.compiler.services import (
    LOCALHOST,
    compile_services,
    distribution_source,
    infrastructure_source,
    services_source,
    with_managed_process_container,
)
from nixproc_disnix.deploy.build import BuildRequest
from nixproc_disnix.errors import EvalError
from nixproc_disnix.framework import FRAMEWORK_DIR
from nixproc_disnix.model.ids import IdRequirements
from nixproc_disnix.model.services import Target
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import Store

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures/webapps"
NIX_INSTANTIATE = shutil.which("nix-instantiate")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "root")) as opened:
        yield opened


@pytest.fixture
def model(tmp_path: Path) -> Path:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    return copy / "processes.nix"


def test_sysvinit_services_are_typed_and_ordered(store: Store, model: Path) -> None:
    services = json.loads(compile_services(store, BuildRequest("sysvinit", str(model), pkgs="stub")).render_json())
    assert sorted(services) == ["webapp1", "webapp2"]
    assert services["webapp2"]["type"] == "sysvinit-script" and services["webapp2"]["dependsOn"] == ["webapp1"]
    assert services["webapp1"]["dependsOn"] == [] and services["webapp1"]["pkg"].startswith(store.store_dir)
    assert services["webapp1"]["requiresUniqueIdsFor"] == ["webappPorts", "uids", "gids"]


def test_agnostic_services_are_managed_processes(store: Store, model: Path) -> None:
    services = compile_services(store, BuildRequest(None, str(model), pkgs="stub"))
    assert {service.type for service in services.root.values()} == {"managed-process"}


def test_xml_is_what_dydisnix_xml_readers_take(store: Store, model: Path) -> None:
    xml = compile_services(store, BuildRequest("systemd", str(model), pkgs="stub")).render_xml()
    requirements = IdRequirements.parse_xml(xml, "services.xml", "requiresUniqueIdsFor")
    assert requirements.model_dump()  # parsed without error, one entry per service
    assert "<type>systemd-unit</type>" in xml


def test_a_dependency_outside_the_model_is_named(store: Store, tmp_path: Path) -> None:
    framework = "<nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix>"
    model = tmp_path / "outside.nix"
    model.write_text(f'''{{ processManager, pkgs ? {{}} }}:
      let
        create = import {framework} {{
          inherit pkgs processManager; stateDir = "/var"; runtimeDir = "/run"; logDir = "/var/log"; tmpDir = "/tmp";
        }};
        hidden = create {{ name = "hidden"; process = "/bin/hidden"; }};
      in {{ shown = {{ pkg = create {{ name = "shown"; process = "/bin/shown"; dependencies = [ hidden ]; }}; }}; }}
    ''')
    with pytest.raises(EvalError, match="process 'shown' depends on '.*-hidden', which no instance"):
        compile_services(store, BuildRequest("sysvinit", str(model), pkgs="stub"))


def test_generated_sources_parse_and_evaluate_with_real_nix(store: Store, model: Path, tmp_path: Path) -> None:
    assert NIX_INSTANTIATE is not None, "nix-instantiate (Debian: nix-bin) is required"
    request = BuildRequest("sysvinit", str(model), pkgs="stub")
    services = compile_services(store, request)
    out = model.parent / "disnix"
    out.mkdir()
    targets = [Target(name="test1", hostname="test1.local"), LOCALHOST]
    (out / "services.nix").write_text(services_source(services, request, str(out)))
    (out / "infrastructure.nix").write_text(infrastructure_source(targets))
    (out / "distribution.nix").write_text(distribution_source(services, targets))
    for name in ("services.nix", "infrastructure.nix", "distribution.nix"):
        parsed = subprocess.run([NIX_INSTANTIATE, "--parse", str(out / name)], capture_output=True, text=True)
        assert parsed.returncode == 0, parsed.stderr
    expression = f'''
      let
        infrastructure = import {out}/infrastructure.nix;
        distribution = import {out}/distribution.nix {{ inherit infrastructure; }};
        services = import {out}/services.nix {{
          system = "x86_64-linux"; pkgs = {{}}; inherit distribution; invDistribution = {{}};
        }};
      in {{
        services = builtins.mapAttrs (name: service: {{
          inherit (service) name type;
          dependsOn = builtins.attrNames (service.dependsOn or {{}});
        }}) services;
        mapped = builtins.mapAttrs (name: targets: map (target: target.properties.hostname) targets) distribution;
      }}'''
    evaluated = subprocess.run(
        [NIX_INSTANTIATE, "--eval", "--strict", "--json", "-I", f"nix-processmgmt={FRAMEWORK_DIR}", "-E", expression],
        capture_output=True, text=True,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout) == {
        "services": {
            "webapp1": {"name": "webapp1", "type": "sysvinit-script", "dependsOn": []},
            "webapp2": {"name": "webapp2", "type": "sysvinit-script", "dependsOn": ["webapp1"]},
        },
        "mapped": {"webapp1": ["test1.local"], "webapp2": ["test1.local"]},
    }


def test_agnostic_targets_say_how_they_run_managed_processes(nix: str, tmp_path: Path) -> None:
    targets = with_managed_process_container(
        [LOCALHOST, Target(name="box", hostname="box.local", containers={"managed-process": {"processManager": "s6-rc"}})],
        "disnix", StateDirs(state_dir="/srv/state", force_disable_user_change=True),
    )
    (tmp_path / "infrastructure.nix").write_text(infrastructure_source(targets))
    evaluated = subprocess.run([nix, "--eval", "--strict", "--json", str(tmp_path / "infrastructure.nix")],
                               capture_output=True, text=True)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout) == {
        "localhost": {"properties": {"hostname": "localhost"}, "containers": {"managed-process": {
            "processManager": "disnix", "stateDir": "/srv/state", "forceDisableUserChange": "1"}}},
        # A target's own container wins.
        "box": {"properties": {"hostname": "box.local"}, "containers": {"managed-process": {"processManager": "s6-rc"}}},
    }
