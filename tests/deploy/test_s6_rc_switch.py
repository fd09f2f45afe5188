"""nixproc-s6-rc-switch against stand-ins for the s6-rc tools, which Debian does not package.

``s6-rc-compile``, ``s6-rc-init``, ``s6-rc-update`` and ``s6-rc`` are played
by :mod:`stand_in_s6_rc`, put first on ``PATH``: each call is recorded,
the compiler refuses a definition tree the s6-rc source-format checker of
the backend tests refuses, and the live state keeps which services are up
(up with dependencies, down with dependents, gone when an update's
database lacks them). So these tests show which commands a switch runs and
what s6-rc would have up, not that s6-rc runs. What does run for real is
a compiled longrun: the webapp's ``run`` script from the database the
switch made live, under the real ``s6-supervise``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import uuid
from pathlib import Path

import pytest
from recording_stand_in import StandIns
from webapps_deployment import MARKER_VARIABLE, WebappsDeployment, kill_marked

from nixproc_disnix.backends.s6_rc.switch import S6RCDirs
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import read_profile

TOOLS = ("s6-rc-compile", "s6-rc-init", "s6-rc-update", "s6-rc")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("s6-rc-switch") / "root" / "store"


@pytest.fixture
def s6_rc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIns:
    return StandIns.on_path(tmp_path, monkeypatch, "stand_in_s6_rc", *TOOLS)


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path) -> WebappsDeployment:
    deployed = WebappsDeployment(tmp_path / "deployment", store_dir, "s6-rc")
    (deployed.state / "run" / "service").mkdir(parents=True)  # the scan directory of an s6-svscan
    return deployed


def dirs_of(deployment: WebappsDeployment) -> S6RCDirs:
    return S6RCDirs.of(deployment.state_dirs())


def changes(stand_ins: StandIns) -> list[list[str]]:
    """The recorded calls but the ``s6-rc -a list`` queries, the live directory left out of ``s6-rc``'s."""
    calls = [argv for argv in stand_ins.calls() if argv[-2:] != ["-a", "list"]]
    return [["s6-rc", *argv[3:]] if argv[0] == "s6-rc" else argv for argv in calls]


def up(stand_ins: StandIns, deployment: WebappsDeployment) -> list[str]:
    with stand_ins.state() as state:
        return list(state["live"][dirs_of(deployment).live_dir]["up"])


def database(deployment: WebappsDeployment, profile: str) -> str:
    return os.path.join(dirs_of(deployment).compile_dir, f"compiled-{os.path.basename(os.path.realpath(profile))[:32]}")


def compiled(deployment: WebappsDeployment, profile: str) -> list[str]:
    """The call compiling ``profile``'s definitions (into a temporary name that is then renamed)."""
    return ["s6-rc-compile", f"{database(deployment, profile)}.tmp-{os.getpid()}",
            os.path.join(os.path.realpath(profile), "etc/s6/sv")]


def test_deploy_redeploy_change_fail_and_undeploy(deployment: WebappsDeployment, s6_rc: StandIns) -> None:
    dirs = dirs_of(deployment)
    plan = deployment.switch()
    assert [[process.name for process in level] for level in plan.start] == [["webapp1-srv"], ["webapp2-srv"]]
    first = str(deployment.profile)
    assert changes(s6_rc) == [
        compiled(deployment, first),
        ["s6-rc-init", "-c", database(deployment, first), "-l", dirs.live_dir, dirs.scan_dir],
        ["s6-rc", "-u", "change", "webapp1-srv", "webapp1-log"],
        ["s6-rc", "-u", "change", "webapp2-srv", "webapp2-log"],
    ]
    assert up(s6_rc, deployment) == ["webapp1-srv", "webapp1-log", "webapp2-srv", "webapp2-log"]
    assert os.readlink(dirs.current) == database(deployment, first)
    services = json.loads(Path(database(deployment, first), "services.json").read_text())
    assert services["default"]["contents"] == ["webapp1-srv", "webapp2-srv"]
    assert services["webapp2-srv"]["dependencies"] == ["webapp1-srv"]
    assert deployment.generations() == [(1, True)]

    s6_rc.forget_calls()
    again = deployment.switch()
    assert again.is_empty and changes(s6_rc) == [] and deployment.generations() == [(1, True)]

    first_database = database(deployment, first)
    deployment.move("webapp2")
    changed = deployment.switch()
    second = os.path.realpath(deployment.profile)
    assert changed.restart == ("webapp2-srv",) and changed.unchanged == ("webapp1-srv",)
    assert changes(s6_rc) == [
        ["s6-rc", "-d", "change", "webapp2-srv"],
        compiled(deployment, str(deployment.profile)),
        ["s6-rc-update", "-l", dirs.live_dir, database(deployment, str(deployment.profile))],
        ["s6-rc", "-u", "change", "webapp2-srv", "webapp2-log"],
    ]
    assert not os.path.exists(first_database), "the replaced database is deleted"
    assert sorted(up(s6_rc, deployment)) == ["webapp1-log", "webapp1-srv", "webapp2-log", "webapp2-srv"]

    s6_rc.forget_calls()
    deployment.move("webapp2")
    with s6_rc.state() as state:
        state["fail_up"] = ["webapp2-srv"]
    with pytest.raises(DeployError) as error:
        deployment.switch()
    assert error.value.message == ("cannot start webapp2-srv: s6-rc -u change webapp2-srv webapp2-log exited with "
                                   "status 1; rolled back to the previous deployment")
    third = deployment.build()
    assert changes(s6_rc) == [
        ["s6-rc", "-d", "change", "webapp2-srv"],
        compiled(deployment, third),
        ["s6-rc-update", "-l", dirs.live_dir, database(deployment, third)],
        ["s6-rc", "-u", "change", "webapp2-srv", "webapp2-log"],
        compiled(deployment, second),
        ["s6-rc-update", "-l", dirs.live_dir, database(deployment, second)],
        ["s6-rc", "-u", "change", "webapp2-srv", "webapp2-log"],
    ]
    assert os.readlink(dirs.current) == database(deployment, second) and not os.path.exists(database(deployment, third))
    assert "webapp2-srv" in up(s6_rc, deployment)
    assert deployment.generations() == [(1, False), (2, True)]

    s6_rc.forget_calls()
    undeployed = deployment.cli("--undeploy")
    assert undeployed.exit_code == 0, undeployed.output
    empty = str(deployment.profile)
    assert changes(s6_rc) == [
        ["s6-rc", "-d", "change", "webapp2-srv"],
        ["s6-rc", "-d", "change", "webapp1-srv"],
        compiled(deployment, empty),
        ["s6-rc-update", "-l", dirs.live_dir, database(deployment, empty)],
    ]
    assert up(s6_rc, deployment) == [], "the update brings the loggers down with the services gone"
    assert read_profile(empty).processes == {} and deployment.generations() == [(1, False), (2, False), (3, True)]


def test_a_failing_first_deployment_leaves_nothing_up(deployment: WebappsDeployment, s6_rc: StandIns) -> None:
    with s6_rc.state() as state:
        state["fail_up"] = ["webapp2-srv"]
    with pytest.raises(DeployError, match="rolled back to the previous deployment$"):
        deployment.switch()
    dirs = dirs_of(deployment)
    *_, stop, compile_nothing, update = changes(s6_rc)
    assert stop == ["s6-rc", "-d", "change", "webapp1-srv"]
    assert compile_nothing[:2] == ["s6-rc-compile", f"{dirs.compile_dir}/compiled-empty.tmp-{os.getpid()}"]
    assert os.path.basename(compile_nothing[2]).startswith("s6-rc-empty-"), "an empty definition directory"
    assert update == ["s6-rc-update", "-l", dirs.live_dir, f"{dirs.compile_dir}/compiled-empty"]
    assert up(s6_rc, deployment) == [] and os.readlink(dirs.current) == f"{dirs.compile_dir}/compiled-empty"
    assert deployment.generations() == []


def test_without_a_scan_directory_the_error_says_so(deployment: WebappsDeployment, s6_rc: StandIns) -> None:
    shutil.rmtree(deployment.state / "run" / "service")
    with pytest.raises(DeployError) as error:
        deployment.switch()
    scan_dir = dirs_of(deployment).scan_dir
    assert error.value.message.startswith(f"cannot initialise s6-rc: the scan directory {scan_dir} does not exist "
                                          "(s6-rc needs an s6-svscan running on it)")
    assert not os.path.lexists(dirs_of(deployment).current) and deployment.generations() == []


@pytest.mark.integration
def test_a_compiled_longrun_runs_under_s6_supervise(
    deployment: WebappsDeployment, s6_rc: StandIns, tmp_path: Path
) -> None:
    """The webapp1 longrun, as the database the switch made live has it, run by the real s6-supervise."""
    deployment.switch()
    service_dir = tmp_path / "webapp1-srv"
    shutil.copytree(Path(dirs_of(deployment).current) / "servicedirs" / "webapp1-srv", service_dir)
    marker = uuid.uuid4().hex
    supervisor = subprocess.Popen(["s6-supervise", str(service_dir)], env={**os.environ, MARKER_VARIABLE: marker},
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                assert deployment.answer("webapp1") == "webapp1"
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the compiled webapp1 longrun did not answer"
                time.sleep(0.1)
        subprocess.run(["s6-svc", "-wd", "-T", "10000", "-d", str(service_dir)], check=True, timeout=30)
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            deployment.answer("webapp1")
        subprocess.run(["s6-svc", "-x", str(service_dir)], check=True, timeout=30)
        assert supervisor.wait(timeout=15) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        kill_marked(marker)
