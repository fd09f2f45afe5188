"""examples/service-containers-agnostic for real: a supervisord deployed with sysvinit provides the container
``supervisord-program``, and two webapps are deployed into it as its programs (SPEC §4.5).

The example (and the examples it builds on) is copied with free ports in its
``ids.nix``; the machine's state directories are made first, as a Disnix
target has them. The supervisord's PID file is under the state directory and
the webapps are its children, so teardown's kill by PID covers them all.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from harness import Reaper, free_port, http_get, silent, wait_for

from nixproc_disnix.deploy.state import init_state
from nixproc_disnix.disnix.architecture import DisnixModels
from nixproc_disnix.disnix.env import DisnixEnvRequest, local_disnix_env
from nixproc_disnix.dysnomia.installed import MODULE_PROGRAM
from nixproc_disnix.dysnomia.modules.process import running_pid
from nixproc_disnix.model.disnix import Manifest
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import Store

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class Example:
    def __init__(self, root: Path, store: Store, state: Path, reaper: Reaper) -> None:
        for name in ("service-containers-agnostic", "services-agnostic", "webapps-agnostic"):
            shutil.copytree(EXAMPLES / name, root / name, ignore=shutil.ignore_patterns("ids*.nix", "result*"))
        self.directory = root / "service-containers-agnostic"
        self.ports = {"supervisord": free_port(), "webapp1": free_port(), "webapp2": free_port()}
        self.write_ids()
        self.store, self.state = store, state
        self.profiles = root / "profiles"
        self.environment = {**os.environ, **reaper.environment(), "DYSNOMIA_STATEDIR": str(root / "dysnomia")}
        self.lines: list[str] = []
        init_state(StateDirs(state_dir=str(state)))

    def write_ids(self) -> None:
        (self.directory / "ids.nix").write_text(
            "{ ids = { inetHTTPPorts.supervisord = %d; webappPorts = { webapp1 = %d; webapp2 = %d; }; }; }\n"
            % (self.ports["supervisord"], self.ports["webapp1"], self.ports["webapp2"])
        )

    def run(self, **fields: object) -> str:
        models = DisnixModels(
            *(str(self.directory / f"{name}.nix") for name in ("services", "infrastructure", "distribution")),
            extra_params=f'{{ stateDir = "{self.state}"; forceDisableUserChange = true; }}',
        )
        request = DisnixEnvRequest(models=models, coordinator_profile_path=str(self.profiles), **fields)  # type: ignore[arg-type]
        return local_disnix_env(self.store, request, self.environment, self.lines.append)

    def manifest(self) -> Manifest:
        return Manifest.parse((self.profiles / "default").read_text())

    def programs(self) -> dict[str, int]:
        """supervisord's programs that run, with their PIDs."""
        status = subprocess.run(["supervisorctl", "-s", f"http://127.0.0.1:{self.ports['supervisord']}", "status"],
                                capture_output=True, text=True).stdout
        return {match[0]: int(match[1]) for match in re.findall(r"^(\S+)\s+RUNNING\s+pid (\d+)", status, re.M)}

    def supervisord_pid(self) -> int | None:
        return running_pid(str(self.state / "run" / "supervisord.pid"))


def test_webapps_deployed_into_a_supervisord_container(tmp_path: Path, store: Store, state: Path,
                                                        reaper: Reaper) -> None:
    example = Example(tmp_path, store, state, reaper)
    example.run()
    assert wait_for(lambda: all(http_get(example.ports[name]) for name in ("webapp1", "webapp2")))
    assert wait_for(lambda: sorted(example.programs()) == ["webapp1", "webapp2"])  # RUNNING after startsecs
    assert example.supervisord_pid() is not None
    # The supervisord first: the webapps go into the container it provides.
    activations = [line.split()[3] for line in example.lines if "]: activate" in line]
    assert activations[0] == "supervisord" and sorted(activations[1:]) == ["webapp1", "webapp2"]

    # The container's properties came from the provider; its package carries them and our module.
    manifest = example.manifest()
    container = manifest.targets["localhost"].containers["supervisord-program"]
    assert container.provider == "supervisord"
    assert container.properties["supervisordServerUrl"] == f"http://127.0.0.1:{example.ports['supervisord']}"
    assert container.properties["supervisordTargetDir"] == f"{state}/lib/supervisord/conf.d"
    provider = Path(manifest.services["supervisord"].pkg)
    assert (provider / "libexec/dysnomia/supervisord-program").resolve() == Path(MODULE_PROGRAM).resolve()
    assert (provider / "etc/dysnomia/containers/supervisord-program").is_file()
    assert manifest.services["webapp1"].activates_after == ["supervisord"]

    # Undeploy: the programs go first, then their supervisord; nothing is left running.
    example.run(operation="undeploy")
    deactivations = [line.split()[3] for line in example.lines if "]: deactivate" in line]
    assert deactivations[-1] == "supervisord"
    assert all(silent(example.ports[name]) for name in ("webapp1", "webapp2"))
    assert wait_for(lambda: example.supervisord_pid() is None) and not reaper.pids()
