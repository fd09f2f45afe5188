"""What switches show and print: progress steps for stops and starts, step lines in a log, the plan as JSON."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from webapps_deployment import MARKER_VARIABLE, WebappsDeployment, kill_marked

from nixproc_disnix.backends.common.switcher import ProcessStatus
from nixproc_disnix.deploy.plan import plan_switch
from nixproc_disnix.deploy.switch import execute
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile
from nixproc_disnix.model.results import SwitchResult
from nixproc_disnix.progress import Step


def process(name: str, version: str, *dependencies: str) -> DeployedProcess:
    return DeployedProcess(name=name, process_manager="sysvinit", out_path=f"/s/{version}-{name}",
                           dependencies=dependencies)


class Quiet:
    """A switcher whose processes start and stop at once."""

    def stop(self, process: DeployedProcess) -> None:
        pass

    def start(self, process: DeployedProcess) -> None:
        pass

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        pass

    def status(self, process: DeployedProcess) -> ProcessStatus:
        return ProcessStatus.RUNNING


def test_execute_tells_each_stop_and_start_counted_over_all_levels() -> None:
    old = DeployedProfile(path="/s/old", processes={"a": process("a", "1"), "b": process("b", "1", "a")})
    new = DeployedProfile(path="/s/new", processes={"a": process("a", "2"), "b": process("b", "2", "a")})
    steps: list[Step] = []
    execute(plan_switch(old, new, False), old, new, Quiet(), lambda: None, lambda line: None, progress=steps.append)
    assert [(step.phase, step.name, step.done, step.total) for step in steps if step.finished] == [
        ("stop", "b", 1, 2), ("stop", "a", 2, 2), ("start", "a", 1, 2), ("start", "b", 2, 2),
    ]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("switch-output") / "store"


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebappsDeployment]:
    marker = uuid.uuid4().hex
    monkeypatch.setenv(MARKER_VARIABLE, marker)
    deployed = WebappsDeployment(tmp_path, store_dir, "sysvinit")
    yield deployed
    deployed.cli("--undeploy", "--quiet")
    kill_marked(marker)


@pytest.mark.integration
def test_a_switch_logs_its_steps_and_prints_its_plan_as_json(deployment: WebappsDeployment) -> None:
    first = deployment.cli("--json", str(deployment.model))
    assert first.exit_code == 0, first.output
    assert SwitchResult.parse_json(first.stdout) == SwitchResult(
        process_manager="sysvinit", dry_run=False, stopped=[], started=["webapp1", "webapp2"], restarted=[],
        unchanged=[], added_groups=[], added_users=[], deleted_users=[], deleted_groups=[],
    )
    logged = first.stderr.splitlines()
    assert any(line.startswith("building '") for line in logged)
    assert logged.index("starting webapp1") < logged.index("starting webapp2")

    deployment.move("webapp2")
    planned = deployment.cli("--json", "--dry-run", "--quiet", str(deployment.model))
    assert planned.exit_code == 0, planned.output
    result = SwitchResult.parse_json(planned.stdout)
    assert (result.dry_run, result.stopped, result.started, result.restarted, result.unchanged) == (
        True, ["webapp2"], ["webapp2"], ["webapp2"], ["webapp1"],
    )
    assert "starting" not in planned.stderr and "building '" not in planned.stderr


def test_json_goes_with_deployments_only(deployment: WebappsDeployment) -> None:
    listed = deployment.cli("--json", "--list-generations")
    assert listed.exit_code == 1
    assert listed.stderr == "error: --json prints a deployment's plan; --list-generations deploys nothing\n"
