"""Simulated targets: a two-machine distribution of the webapps fixture deployed into two network namespaces.

The harness runs in its own network and mount namespaces; the checks run
inside it, each target probed on its own 127.0.0.1 through ``ip netns
exec``, so nothing here contacts any address from this machine's network.
Where namespaces are not allowed the test is skipped, saying so.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from harness import Reaper, free_port, webapps_model

from nixproc_disnix.disnix.env import ProcessesModel, compile_models
from nixproc_disnix.disnix.simulation import namespaces_allowed, plan_targets, render_targets, simulated_targets
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.services import Target
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import Store


def test_targets_get_addresses_on_the_harness_bridge() -> None:
    targets = plan_targets(["test1", "test2"])
    assert render_targets(targets) == "test1=10.213.0.11,test2=10.213.0.12"
    assert simulated_targets({"NIXPROC_SIMULATED_TARGETS": render_targets(targets)}) == {
        "test1": "test1", "10.213.0.11": "test1", "test2": "test2", "10.213.0.12": "test2"}
    assert simulated_targets({}) == {}
    for names, message in ((["a", "a"], "a name of its own"), (["bad name"], "cannot name a simulated target")):
        with pytest.raises(DeployError, match=message):
            plan_targets(names)


PROBE = textwrap.dedent("""\
    import json, subprocess, sys

    def run(*argv):
        result = subprocess.run(argv, capture_output=True, text=True)
        return result.returncode, result.stdout + result.stderr

    def get(namespace, port):
        code = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:%d/', timeout=2).read().decode())"
        status, output = run("ip", "netns", "exec", namespace, sys.executable, "-c", code % port)
        return output.strip() if status == 0 else None

    deploy = sys.argv[1:]
    ports = json.loads(deploy.pop(0))
    report = {}
    status, output = run(*deploy)
    report["deploy"] = [status, output]
    # Wait for both webapps, then look at every target's own loopback.
    for _ in range(50):
        if get("test1", ports["webapp1"]) and get("test2", ports["webapp2"]):
            break
        subprocess.run(["sleep", "0.2"])
    report["seen"] = {namespace: {name: get(namespace, port) for name, port in ports.items()}
                      for namespace in ("test1", "test2")}
    status, output = run(*deploy, "--undeploy")
    report["undeploy"] = [status, output]
    report["after"] = {namespace: {name: get(namespace, port) for name, port in ports.items()}
                       for namespace in ("test1", "test2")}
    print(json.dumps(report))
""")


@pytest.mark.integration
def test_a_distribution_over_two_simulated_targets(tmp_path: Path, store: Store, state: Path, reaper: Reaper) -> None:
    if not namespaces_allowed():
        pytest.skip("network and mount namespaces (unshare --net --mount) are not allowed here")
    ports = {"webapp1": free_port(), "webapp2": free_port()}
    model = ProcessesModel(
        path=str(webapps_model(tmp_path, ports)),
        targets=(Target(name="test1", hostname="test1"), Target(name="test2", hostname="test2")),
        state_dirs=StateDirs(state_dir=str(state), force_disable_user_change=True),
    )
    models = compile_models(store, model, str(tmp_path / "disnix"))
    Path(models.distribution).write_text(
        "{ infrastructure }: { webapp1 = [ infrastructure.test1 ]; webapp2 = [ infrastructure.test2 ]; }\n")
    (tmp_path / "probe.py").write_text(PROBE)
    deploy = ["nixproc-disnix-env", "-s", models.services, "-i", models.infrastructure, "-d", models.distribution,
              "--store-dir", store.store_dir, "--coordinator-profile-path", str(tmp_path / "profiles"), "--local"]
    harness = subprocess.run(
        ["nixproc", "simulate-targets", "--target", "test1", "--target", "test2", "--",
         sys.executable, str(tmp_path / "probe.py"), json.dumps(ports), *deploy],
        capture_output=True, text=True,
        env={**os.environ, **reaper.environment(), "DYSNOMIA_STATEDIR": str(tmp_path / "dysnomia")},
    )
    assert harness.returncode == 0, harness.stderr
    report = json.loads(harness.stdout)
    assert report["deploy"][0] == 0, report["deploy"][1]
    # webapp2 depends on webapp1 across machines: activated after it.
    activations = [line for line in report["deploy"][1].splitlines() if "]: activate" in line]
    assert [line.split()[1:4] for line in activations] == [
        ["test1]:", "activate", "webapp1"], ["test2]:", "activate", "webapp2"]]
    # Each webapp runs on its own target only.
    assert report["seen"] == {"test1": {"webapp1": "webapp1", "webapp2": None},
                              "test2": {"webapp1": None, "webapp2": "webapp2"}}
    assert report["undeploy"][0] == 0, report["undeploy"][1]
    assert report["after"] == {"test1": {"webapp1": None, "webapp2": None}, "test2": {"webapp1": None, "webapp2": None}}
    # Each target kept its own Dysnomia state.
    assert sorted(os.listdir(tmp_path / "dysnomia")) == ["disnix.lock", "test1", "test2"]
    assert not reaper.pids()
