"""The modules of managers that cannot run here, checked by what they do: files they install, tools they call.

systemd needs PID 1, launchd macOS, cygrunsrv Windows, docker an engine,
s6-rc its tools (only s6 is installed), rc scripts FreeBSD's rc.subr: so
``systemctl`` and the others are fakes that log their arguments (and, for
``docker``, keep images and containers as files), and the BSD rc scripts are
small scripts logging their activity.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import Tools, module_call, python_program

from nixproc_disnix.dysnomia.modules import run_module
from nixproc_disnix.errors import DeployError


def component(root: Path, files: dict[str, str], executable: tuple[str, ...] = ()) -> Path:
    root.mkdir(parents=True)
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
        if relative in executable:
            (root / relative).chmod(0o755)
    return root


def run(module_type: str, activity: str, path: Path, environment: dict[str, str], container: str = "") -> None:
    run_module(module_call(module_type, activity, path, environment, container))


# systemd-unit ----------------------------------------------------------------------------------------------------


@pytest.fixture
def units(tmp_path: Path) -> Path:
    return component(tmp_path / "0123456789abcdfghijklmnpqrsvwxyz-web", {
        "etc/systemd/system/nix-process-web.service": "[Service]\nExecStart=/bin/web\n",
        "etc/systemd/system/nix-process-sock.service": "[Service]\nExecStart=/bin/sock\n",
        "etc/systemd/system/nix-process-sock.socket": "[Socket]\nListenStream=1234\n",
    })


def test_systemd_unit_links_units_and_starts_services_or_their_sockets(units: Path, tools: Tools, tmp_path: Path) -> None:
    target = tmp_path / "systemd"
    environment = {**tools.environment(), "systemdTargetDir": str(target), "DYSNOMIA_STATEDIR": str(tmp_path / "ds")}
    run("systemd-unit", "activate", units, environment)
    assert sorted(os.listdir(target)) == [
        "dysnomia.target.wants", "nix-process-sock.service", "nix-process-sock.socket", "nix-process-web.service"]
    assert os.readlink(target / "nix-process-web.service") == str(units / "etc/systemd/system/nix-process-web.service")
    # A service with a socket of its name is wanted (and started) through the socket.
    assert sorted(os.listdir(target / "dysnomia.target.wants")) == ["nix-process-sock.socket", "nix-process-web.service"]
    assert tools.calls() == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "start", "nix-process-sock.socket"],
        ["systemctl", "start", "nix-process-web.service"],
    ]
    assert (tmp_path / "ds/activated/systemd-unit/web").exists()
    tools.clear()
    run("systemd-unit", "deactivate", units, environment)
    assert os.listdir(target) == ["dysnomia.target.wants"] and os.listdir(target / "dysnomia.target.wants") == []
    assert tools.calls() == [
        ["systemctl", "stop", "nix-process-sock.socket"],
        ["systemctl", "stop", "nix-process-sock.service"],
        ["systemctl", "stop", "nix-process-web.service"],
        ["systemctl", "daemon-reload"],
    ]
    assert not (tmp_path / "ds/activated/systemd-unit/web").exists()


def test_systemd_unit_user_services_and_a_failed_start(units: Path, tools: Tools, tmp_path: Path) -> None:
    target = tmp_path / "user-units"
    environment = {**tools.environment(), "systemdTargetDir": str(target), "systemdUserServices": "1",
                   "systemdRootTarget": "default.target.wants", "FAKE_TOOL_FAIL": "start nix-process-web"}
    with pytest.raises(DeployError, match="systemd-unit: 'systemctl --user start nix-process-web.service' failed"):
        run("systemd-unit", "activate", units, environment)
    # Everything installed is gone again; what had started was stopped.
    assert os.listdir(target) == ["default.target.wants"] and os.listdir(target / "default.target.wants") == []
    calls = tools.calls()
    assert all(call[:2] == ["systemctl", "--user"] for call in calls)
    assert ["systemctl", "--user", "stop", "nix-process-sock.socket"] in calls
    assert calls[-1] == ["systemctl", "--user", "daemon-reload"]


# launchd-daemon --------------------------------------------------------------------------------------------------


def test_launchd_daemon_copies_loads_and_starts(tools: Tools, tmp_path: Path) -> None:
    plist = "org.nixos.web.plist"
    path = component(tmp_path / "web", {f"Library/LaunchDaemons/{plist}": "<plist/>\n"})
    target = tmp_path / "LaunchDaemons"
    target.mkdir()
    environment = {**tools.environment(), "launchdTargetDir": str(target)}
    run("launchd-daemon", "activate", path, environment)
    assert (target / plist).read_text() == "<plist/>\n" and not (target / plist).is_symlink()
    assert tools.calls() == [["launchctl", "load", "-w", str(target / plist)], ["launchctl", "start", "org.nixos.web"]]
    tools.clear()
    run("launchd-daemon", "deactivate", path, environment)
    assert not (target / plist).exists()
    assert tools.calls() == [["launchctl", "stop", "org.nixos.web"], ["launchctl", "unload", str(target / plist)]]


# cygrunsrv-service -----------------------------------------------------------------------------------------------


def test_cygrunsrv_service_installs_with_the_parameters_file(tools: Tools, tmp_path: Path) -> None:
    path = component(tmp_path / "0123456789abcdfghijklmnpqrsvwxyz-web", {
        "nix-process-web-cygrunsrvparams": "--path\n/bin/web\n--env\nPORT=5000 with space\n",
    })
    run("cygrunsrv-service", "activate", path, tools.environment())
    assert tools.calls() == [
        ["cygrunsrv", "--install", "web", "--path", "/bin/web", "--env", "PORT=5000 with space"],
        ["cygrunsrv", "--start", "web"],
    ]
    tools.clear()
    run("cygrunsrv-service", "deactivate", path, tools.environment())
    assert tools.calls() == [["cygrunsrv", "--stop", "web"], ["cygrunsrv", "--remove", "web"]]


# docker-container ------------------------------------------------------------------------------------------------


def docker_component(root: Path, stateless: bool = True) -> Path:
    image = root.parent / "image.tar"
    image.write_text("web:latest\n")
    return component(root, {
        "web-docker-settings": f"dockerImage={image}\ndockerImageTag=web:latest\n"
                               + ("" if stateless else "dockerStatelessDeployment=0\n"),
        "web-docker-createparams": "--volume\n/nix/store:/nix/store\n--network\nhost\n",
        "01-web-docker-priority": "",
    })


def test_docker_container_stateless_lifecycle(tools: Tools, tmp_path: Path) -> None:
    path = docker_component(tmp_path / "0123456789abcdfghijklmnpqrsvwxyz-web")
    environment = {**tools.environment(), "DYSNOMIA_STATEDIR": str(tmp_path / "ds")}
    run("docker-container", "activate", path, environment)
    commands = [call[1] for call in tools.calls()]
    assert commands == ["images", "load", "ps", "create", "start"]
    assert tools.calls()[3] == ["docker", "create", "--volume", "/nix/store:/nix/store", "--network", "host",
                                "--name", "dysnomia-web", "web:latest"]
    assert not (tmp_path / "ds").exists()  # stateless: not marked active
    tools.clear()
    run("docker-container", "activate", path, environment)  # already there: only started again
    assert [call[1] for call in tools.calls()] == ["images", "ps", "start"]
    tools.clear()
    run("docker-container", "deactivate", path, environment)
    assert [call[1:] for call in tools.calls() if call[1] in ("stop", "rm", "rmi")] == [
        ["stop", "-t", "1", "dysnomia-web"], ["rm", "dysnomia-web"], ["rmi", "web:latest"]]
    assert os.listdir(tools.docker_state) == []


def test_docker_container_stateful_waits_for_garbage_collection(tools: Tools, tmp_path: Path) -> None:
    path = docker_component(tmp_path / "web", stateless=False)
    environment = {**tools.environment(), "DYSNOMIA_STATEDIR": str(tmp_path / "ds")}
    run("docker-container", "activate", path, environment)
    assert (tmp_path / "ds/activated/docker-container/web").exists()
    run("docker-container", "deactivate", path, environment)
    assert (tmp_path / "ds/garbage/docker-container/web").exists()
    assert sorted(os.listdir(tools.docker_state)) == ["container-dysnomia-web", "image-web:latest"]
    run("docker-container", "collect-garbage", path, environment)
    assert os.listdir(tools.docker_state) == [] and not (tmp_path / "ds/garbage/docker-container/web").exists()


# s6-rc-service ---------------------------------------------------------------------------------------------------


def test_s6_rc_service_bundles_compiles_and_updates(tools: Tools, tmp_path: Path) -> None:
    path = component(tmp_path / "0123456789abcdfghijklmnpqrsvwxyz-web", {
        "etc/s6/sv/web-srv/type": "longrun\n", "etc/s6/sv/web-log/type": "longrun\n"})
    service_dir, compile_dir, live_dir = tmp_path / "sv", tmp_path / "rc", tmp_path / "live"
    environment = {**tools.environment(), "scanDir": str(tmp_path / "scan"), "serviceDir": str(service_dir),
                   "compileDir": str(compile_dir), "liveDir": str(live_dir)}
    run("s6-rc-service", "activate", path, environment)
    assert (service_dir / "default/type").read_text() == "bundle\n"
    assert (service_dir / "default/contents").read_text() == "web-log\nweb-srv\n"
    assert os.readlink(service_dir / "web-srv") == str(path / "etc/s6/sv/web-srv")
    first = str(compile_dir / "compiled-activate-0123456789abcdfghijklmnpqrsvwxyz")
    assert tools.calls() == [
        ["s6-rc-compile", first, str(service_dir)],
        ["s6-rc-init", "-c", first, "-l", str(live_dir), str(tmp_path / "scan")],
        ["s6-rc", "-l", str(live_dir), "-u", "change", "default"],
    ]
    assert os.readlink(compile_dir / "compiled") == first
    live_dir.mkdir()  # s6-rc-init made it
    Path(first).mkdir()  # s6-rc-compile made it
    tools.clear()
    run("s6-rc-service", "deactivate", path, environment)
    assert (service_dir / "default/contents").read_text() == "" and not (service_dir / "web-srv").exists()
    second = str(compile_dir / "compiled-deactivate-0123456789abcdfghijklmnpqrsvwxyz")
    assert tools.calls() == [
        ["s6-rc-compile", second, str(service_dir)],
        ["s6-rc-update", "-l", str(live_dir), second],
        ["s6-rc", "-l", str(live_dir), "-u", "change", "default"],
    ]
    assert os.readlink(compile_dir / "compiled") == second and not Path(first).exists()


# bsdrc-script ----------------------------------------------------------------------------------------------------


RC_SCRIPT = """
import os, sys
with open(os.environ["RC_LOG"], "a") as log:
    log.write(os.path.basename(sys.argv[0]) + " " + sys.argv[1] + "\\n")
sys.exit(4 if sys.argv[1] in os.environ.get("RC_FAIL", "").split() else 0)
"""


@pytest.fixture
def rc_scripts(tmp_path: Path) -> Path:
    path = tmp_path / "web"
    for name in ("a-db", "b-web"):
        python_program(path / "etc/rc.d" / name, RC_SCRIPT.replace("RC_FAIL", f"RC_FAIL_{name.replace('-', '_')}"))
    return path


def test_bsdrc_script_onestart_and_onestop(rc_scripts: Path, tmp_path: Path) -> None:
    log = tmp_path / "rc.log"
    environment = {"RC_LOG": str(log), "RC_FAIL_a_db": "onestop"}
    run("bsdrc-script", "activate", rc_scripts, environment)
    run("bsdrc-script", "deactivate", rc_scripts, environment)  # a failing onestop is ignored, as upstream
    assert log.read_text().splitlines() == ["a-db onestart", "b-web onestart", "b-web onestop", "a-db onestop"]


def test_bsdrc_script_enabled_at_boot(rc_scripts: Path, tmp_path: Path) -> None:
    log, rc_conf, target = tmp_path / "rc.log", tmp_path / "rc.conf", tmp_path / "rc.d"
    rc_conf.write_text('hostname="box"\n')
    environment = {"RC_LOG": str(log), "enableAtBoot": "1", "bsdrcTargetDir": str(target), "rcConfFile": str(rc_conf)}
    run("bsdrc-script", "activate", rc_scripts, environment)
    assert rc_conf.read_text() == 'hostname="box"\na-db_enabled=YES\nb-web_enabled=YES\n'
    assert sorted(os.listdir(target)) == ["a-db", "b-web"]
    run("bsdrc-script", "deactivate", rc_scripts, environment)
    assert rc_conf.read_text() == 'hostname="box"\n' and os.listdir(target) == []
    assert log.read_text().splitlines() == ["a-db start", "b-web start", "b-web stop", "a-db stop"]


def test_bsdrc_script_failed_start_stops_what_started(rc_scripts: Path, tmp_path: Path) -> None:
    log = tmp_path / "rc.log"
    with pytest.raises(DeployError, match="'b-web onestart' failed with exit status 4"):
        run("bsdrc-script", "activate", rc_scripts, {"RC_LOG": str(log), "RC_FAIL_b_web": "onestart"})
    assert log.read_text().splitlines() == ["a-db onestart", "b-web onestart", "b-web onestop", "a-db onestop"]


# supervisord-program with a fake supervisorctl (the real one is in test_supervisord_program.py) ------------------


def test_supervisord_program_failed_update_unlinks_again(tools: Tools, tmp_path: Path) -> None:
    path = component(tmp_path / "web", {"conf.d/web.conf": "[program:web]\ncommand=/bin/web\n"})
    target = tmp_path / "conf.d"
    environment = {**tools.environment(), "supervisordTargetDir": str(target), "FAKE_TOOL_FAIL": "update",
                   "supervisordServerUrl": "http://127.0.0.1:1"}
    with pytest.raises(DeployError, match="supervisorctl -s http://127.0.0.1:1 update' failed"):
        run("supervisord-program", "activate", path, environment)
    assert os.listdir(target) == []
    assert ["supervisorctl", "-s", "http://127.0.0.1:1", "stop", "web"] in tools.calls()
