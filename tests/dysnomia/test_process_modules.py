"""The modules that run processes here, for real: ``process``, ``sysvinit-script``, ``managed-process``.

The webapps fixture is built for the disnix and sysvinit backends; its
components (and agnostic configurations written like createManagedProcess's)
are activated through each entry point a deployer uses (in this process,
``nixproc-dysnomia``, and the ``libexec/dysnomia`` link by the plugin
protocol) and must then answer HTTP on 127.0.0.1, and nothing after
deactivation.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import Reaper, answers, free_port, module_call, silent, webapps_model

from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.dysnomia.installed import MODULES_DIR, realise_modules
from nixproc_disnix.dysnomia.modules import run_module
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import read_profile
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import Store

pytestmark = pytest.mark.integration

WEBAPP = Path(__file__).resolve().parents[1] / "fixtures/webapps/webapp.py"


@pytest.fixture
def ports() -> dict[str, int]:
    return {"webapp1": free_port(), "webapp2": free_port()}


def components(store: Store, tmp_path: Path, state: Path, ports: dict[str, int], manager: str) -> dict[str, str]:
    """The fixture's outputs for ``manager`` by instance, run from ``state`` without switching users."""
    request = BuildRequest(manager, str(webapps_model(tmp_path, ports)),
                           StateDirs(state_dir=str(state), force_disable_user_change=True))
    profile = read_profile(build_profile(store, request))
    return {name: process.out_path for name, process in profile.processes.items()}


def test_process_module_through_every_entry_point(store: Store, tmp_path: Path, state: Path, reaper: Reaper,
                                                  ports: dict[str, int]) -> None:
    outputs = components(store, tmp_path, state, ports, "disnix")
    environment = {**os.environ, **reaper.environment(), "DYSNOMIA_STATEDIR": str(tmp_path / "dysnomia")}
    modules = Path(realise_modules(store)) / MODULES_DIR
    # webapp1 by the plugin protocol, through the link a real Dysnomia would run.
    subprocess.run([str(modules / "process"), "activate", outputs["webapp1"], ""], env=environment, check=True)
    # webapp2 with the dysnomia-compatible command.
    subprocess.run(["nixproc-dysnomia", "--type", "process", "-o", "activate", "-c", outputs["webapp2"]],
                   env=environment, check=True)
    assert answers(ports["webapp1"], "webapp1") and answers(ports["webapp2"], "webapp2")
    assert (tmp_path / "dysnomia/activated/process/webapp1").exists()
    # Activating again finds the process running and starts nothing.
    lines: list[str] = []
    run_module(module_call("process", "activate", outputs["webapp1"], environment, lines=lines))
    assert any("already runs" in line for line in lines)
    for name in ("webapp2", "webapp1"):
        run_module(module_call("process", "deactivate", outputs[name], environment))
    # Deactivation waits for the process to end, so the ports are free at once.
    assert silent(ports["webapp1"], 0.5) and silent(ports["webapp2"], 0.5)
    assert not (state / "tmp/webapp1.pid").exists() and not reaper.pids()
    assert not (tmp_path / "dysnomia/activated/process/webapp1").exists()


def test_sysvinit_script_module(store: Store, tmp_path: Path, state: Path, reaper: Reaper,
                                ports: dict[str, int]) -> None:
    outputs = components(store, tmp_path, state, ports, "sysvinit")
    environment = {**reaper.environment(), "DYSNOMIA_STATEDIR": str(tmp_path / "dysnomia"), "runlevel": "3"}
    for name in ("webapp1", "webapp2"):
        run_module(module_call("sysvinit-script", "activate", outputs[name], environment))
    assert answers(ports["webapp1"], "webapp1") and answers(ports["webapp2"], "webapp2")
    # Runlevel 2 has only kill links: deactivating there stops nothing, activating starts nothing.
    lines: list[str] = []
    for activity in ("deactivate", "activate"):
        run_module(module_call("sysvinit-script", activity, outputs["webapp2"], {**environment, "runlevel": "2"},
                               lines=lines))
    assert answers(ports["webapp2"], "webapp2")
    assert lines == ["notice: 'webapp2' has no start links for runlevel 2"]
    for name in ("webapp2", "webapp1"):
        run_module(module_call("sysvinit-script", "deactivate", outputs[name], environment))
    assert silent(ports["webapp1"]) and silent(ports["webapp2"])
    assert not reaper.pids()


def agnostic_component(root: Path, name: str, port: int) -> Path:
    """A component as createManagedProcess makes it with ``processManager = null``: ``<name>.json``."""
    root.mkdir(parents=True)
    config = {"instanceName": name, "foregroundProcess": sys.executable, "foregroundProcessArgs": [str(WEBAPP)],
              "environment": {"NAME": name, "PORT": port}, "overrides": {"sysvinit": {"runlevels": [3, 4, 5]}}}
    (root / f"{name}.json").write_text(json.dumps(config, sort_keys=True, separators=(",", ":")))
    return root


@pytest.mark.parametrize("manager", ["sysvinit", "disnix"])
def test_managed_process_converts_for_the_target_manager(store: Store, tmp_path: Path, state: Path, reaper: Reaper,
                                                        manager: str) -> None:
    port = free_port()
    path = agnostic_component(tmp_path / "0123456789abcdfghijklmnpqrsvwxyz-web", "web", port)
    environment = {**reaper.environment(), "DYSNOMIA_STATEDIR": str(tmp_path / "dysnomia"),
                   "NIXPROC_STORE_DIR": store.store_dir, "processManager": manager, "stateDir": str(state),
                   "forceDisableUserChange": "1"}
    run_module(module_call("managed-process", "activate", path, environment))
    assert answers(port, "web")
    # The delegate module keeps its marker, named after its own type and the generated component.
    delegate = {"sysvinit": "sysvinit-script", "disnix": "process"}[manager]
    assert (tmp_path / f"dysnomia/activated/{delegate}/web").exists()
    generated = [entry for entry in os.listdir(store.store_dir) if entry.endswith("-web")]
    assert len(generated) == 1  # the same output both times: conversion is deterministic
    run_module(module_call("managed-process", "deactivate", path, environment))
    assert silent(port) and not reaper.pids()
    assert [entry for entry in os.listdir(store.store_dir) if entry.endswith("-web")] == generated


def test_managed_process_needs_a_known_process_manager(tmp_path: Path) -> None:
    path = agnostic_component(tmp_path / "web", "web", 1)
    # lock and unlock need no conversion: they succeed even without container properties.
    for activity in ("lock", "unlock"):
        run_module(module_call("managed-process", activity, path, {}))
    with pytest.raises(DeployError, match="managed-process: the container has no processManager property"):
        run_module(module_call("managed-process", "activate", path, {"processManager": ""}))
    with pytest.raises(DeployError, match="managed-process: Unknown process manager: upstart"):
        run_module(module_call("managed-process", "activate", path, {"processManager": "upstart"}))


def test_process_module_start_failure_and_missing_configuration(tmp_path: Path, state: Path) -> None:
    failing = tmp_path / "failing"
    (failing / "bin").mkdir(parents=True)
    (failing / "bin/start").write_text("#!/bin/sh\necho cannot start >&2\nexit 2\n")
    (failing / "bin/start").chmod(0o755)
    lines: list[str] = []
    with pytest.raises(DeployError, match="process: 'start' failed with exit status 2"):
        run_module(module_call("process", "activate", failing, {"runtimeDir": str(state / "run")}, lines=lines))
    assert lines == ["cannot start"]
    (failing / "bin/other").write_text("")
    with pytest.raises(DeployError, match=r"has several executables \(other, start\) in bin/"):
        run_module(module_call("process", "activate", failing, {}))
    (failing / "etc/dysnomia/process").mkdir(parents=True)
    (failing / "etc/dysnomia/process/x").write_text("pidFile=/run/x.pid\n")
    with pytest.raises(DeployError, match="does not say which process to run"):
        run_module(module_call("process", "activate", failing, {}))
