"""The shipped example models build for every process manager, and their agnostic form gives the same files.

Every example model is built with ``nixproc-build`` for each of the nine
process managers with ``--pkgs host`` (nginx, python3, supervisor, s6 and
execline must be installed, as CI does), and with ``--pkgs stub``, which
needs none of them (the Docker engine model only so). From each model's
agnostic outputs ``nixproc-generate-config`` must give the very outputs of
the model build, byte for byte. Ids that ``nixproc-id-assign`` hands out
must reach the built scripts and the dysnomia-support account files, and
the webapps must answer through nginx when the sysvinit scripts start them.

All builds of the module share one store, so a derivation two tests need is
built once. A manager whose generator module does not exist is an expected
failure, decided when the tests are collected: once the module exists, its
builds must pass.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import nixproc_disnix.backends
from nixproc_disnix.cli.build import nixproc_build
from nixproc_disnix.cli.generate_config import generate_config
from nixproc_disnix.cli.idassign import nixproc_id_assign
from nixproc_disnix.compiler.eval.instantiate import make_evaluator
from nixproc_disnix.deploy.build import BuildRequest, make_evaluator as build_evaluator
from nixproc_disnix.idassign.models import to_python
from nixproc_disnix.model.ids import Ids
from nixproc_disnix.model.process import PROCESS_MANAGERS
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store, remove_tree

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WEBAPPS = "webapps-agnostic/processes.nix"
ADVANCED = "webapps-agnostic/processes-advanced.nix"
SERVICES = "services-agnostic/processes.nix"
DOCKER = "services-agnostic/processes-docker.nix"

# Model -> (its ids file, its instances with the number of processes each one depends on).
MODELS = {
    WEBAPPS: ("webapps-agnostic/ids.nix", {"webapp1": 0, "webapp2": 1, "nginx": 2}),
    ADVANCED: ("webapps-agnostic/ids-advanced.nix",
               {**{f"webapp{n}": 0 for n in range(1, 7)}, "nginx": 4, "nginx2": 2}),
    SERVICES: ("services-agnostic/ids.nix", {"supervisord": 0, "s6-svscan": 0}),
    DOCKER: (None, {"docker": 0}),
}
HOST_MODELS = (WEBAPPS, ADVANCED, SERVICES)
"""Built with the host's programs; the Docker engine is not something CI has, so its model is built with stubs only."""

KNOWN_FAILURES = {
    (SERVICES, "bsdrc"): "bsdrc refuses the process name 's6-svscan': rc.subr variables are named after it "
                         "(FreeBSD's own scripts map '-' to '_' in name=, e.g. php-fpm -> php_fpm)",
}
"""Combinations another component does not support yet; strict, so a fix shows up as a stale mark."""


def generator_exists(process_manager: str) -> bool:
    backends = Path(nixproc_disnix.backends.__file__).parent
    return (backends / process_manager.replace("-", "_") / "generate.py").is_file()


def manager_params(models: tuple[str, ...]) -> list:
    params = []
    for model in models:
        for manager in PROCESS_MANAGERS:
            marks = []
            if not generator_exists(manager):
                marks.append(pytest.mark.xfail(strict=True, reason=f"backends/{manager}/generate.py is missing"))
            elif (model, manager) in KNOWN_FAILURES:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[(model, manager)]))
            params.append(pytest.param(model, manager, marks=marks, id=f"{model}-{manager}"))
    return params


def invoke(command, *args: str) -> str:
    """Run a console command in-process; its last line of standard output (a store path for the build commands)."""
    result = CliRunner().invoke(command, list(args))
    assert result.exit_code == 0, f"{command.name} {' '.join(args)}:\n{result.output}"
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


class Builds:
    """One store for the module; each (model, manager, pkgs) is built once, when a test first needs it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store_dir = str(root / "store")
        self.profiles: dict[tuple[str, str, str], str] = {}
        self.agnostic: dict[str, dict[str, str]] = {}

    def profile(self, model: str, manager: str, pkgs: str = "host") -> str:
        key = (model, manager, pkgs)
        if key not in self.profiles:
            self.profiles[key] = invoke(nixproc_build, "-P", manager, "--pkgs", pkgs, "--store-dir", self.store_dir,
                                        "--no-out-link", str(EXAMPLES / model))
        return self.profiles[key]

    def agnostic_outputs(self, model: str) -> dict[str, str]:
        """Each instance's agnostic output (a directory holding ``<name>.json``), built into the store."""
        if model not in self.agnostic:
            with Store(str(self.root)) as store:
                ev = build_evaluator(store, BuildRequest("sysvinit", None, pkgs="host"))
                instances = ev.force(ev.eval_string(f"import {EXAMPLES / model} {{ processManager = null; }}"))
                outputs = {}
                for name in MODELS[model][1]:
                    pkg = ev.force(ev.force(instances[name])["pkg"])
                    outputs[name] = build(store, str(ev.force(pkg["drvPath"])))["out"]
            self.agnostic[model] = outputs
        return self.agnostic[model]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NIX_PATH", "")
        for variable in [name for name in os.environ if name.startswith("NIXPROC_")]:
            patch.delenv(variable)
        yield Builds(tmp_path_factory.mktemp("examples"))


def process_infos(profile: str) -> list[dict]:
    """What every generated output says about itself: name, manager, dependencies."""
    info_dir = Path(profile, "nix-support", "nixproc")
    return [json.loads(path.read_text()) for path in sorted(info_dir.iterdir())]


def assert_profile_of(model: str, manager: str, profile: str) -> None:
    """One output per instance, made for ``manager``, with as many dependencies as the model gives each."""
    infos = process_infos(profile)
    assert {info["processManager"] for info in infos} == {manager}
    expected = MODELS[model][1]
    assert sorted(len(info["dependencies"]) for info in infos) == sorted(expected.values())
    for info in infos:
        for dependency in info["dependencies"]:
            assert os.path.isdir(dependency), f"{info['name']}: dependency {dependency} was not built"


@pytest.mark.parametrize(("model", "manager"), manager_params(HOST_MODELS))
def test_builds_with_the_host_packages(builds: Builds, model: str, manager: str) -> None:
    profile = builds.profile(model, manager)
    assert profile.startswith(builds.store_dir + "/")
    assert_profile_of(model, manager, profile)


STUB_BUILDS = [param for param in manager_params((*HOST_MODELS, DOCKER))
               if param.values[0] == DOCKER or param.values[1] == "sysvinit"]
"""The Docker model for every manager (nothing else builds it), the others once: their managers are covered above."""


@pytest.mark.parametrize(("model", "manager"), STUB_BUILDS)
def test_builds_with_stub_packages_and_no_host_programs(
    builds: Builds, model: str, manager: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an empty PATH nothing can be taken from the host's programs (builders use their own fixed path)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert_profile_of(model, manager, builds.profile(model, manager, "stub"))


def tree(path: str) -> dict[str, tuple]:
    """Everything under ``path``, absolute links followed (as ``--output-dir`` copies them).

    Relative path -> ``("file", content, executable)`` or ``("link", relative target)``.
    """
    entries: dict[str, tuple] = {}

    def walk(directory: str, prefix: str) -> None:
        for name in sorted(os.listdir(directory)):
            full = os.path.join(directory, name)
            relative = f"{prefix}{name}"
            while os.path.islink(full) and os.path.isabs(os.readlink(full)):
                full = os.readlink(full)
            if os.path.islink(full):
                entries[relative] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                walk(full, relative + "/")
            else:
                entries[relative] = ("file", Path(full).read_bytes(), os.access(full, os.X_OK))

    walk(path, "")
    return entries


def linked_outputs(profile: str, store_dir: str) -> set[str]:
    """The store paths a profile's links point into: the generated output of each process."""
    outputs = set()
    for directory, subdirectories, files in os.walk(profile):
        for name in subdirectories + files:
            path = os.path.join(directory, name)
            target = os.readlink(path) if os.path.islink(path) else ""
            if target.startswith(store_dir + "/"):
                outputs.add(os.path.join(store_dir, target[len(store_dir) + 1:].split("/")[0]))
    return outputs


@pytest.mark.parametrize(("model", "manager"), manager_params(HOST_MODELS))
def test_generate_config_reproduces_the_model_build(builds: Builds, model: str, manager: str, tmp_path: Path) -> None:
    """From each instance's agnostic JSON alone, the very output the model build made for it, file for file."""
    profile = builds.profile(model, manager)
    ids_file = MODELS[model][0]
    options = ["-P", manager, "--store-dir", builds.store_dir, "--no-out-link"]
    if ids_file:
        options += ["--ids", str(EXAMPLES / ids_file)]
    configs = tmp_path / "configs"
    configs.mkdir()
    outputs = set()
    for name, output in builds.agnostic_outputs(model).items():
        config = Path(output, f"{name}.json")
        (configs / config.name).symlink_to(config)
        outputs.add(invoke(generate_config, *options, str(config)))
    assert outputs == linked_outputs(profile, builds.store_dir), "the same derivations as the model build"
    # What a target machine gets for all of them together is byte for byte the model's profile.
    copy = tmp_path / "copy"
    invoke(generate_config, *options, "--output-dir", str(copy), str(configs))
    assert tree(str(copy)) == tree(profile)


def load_ids(path: Path | str) -> Ids:
    ev = make_evaluator([])
    return Ids.from_data(to_python(ev, ev.eval_file(str(path))))


def test_the_agnostic_outputs_are_the_constructors_arguments(builds: Builds) -> None:
    outputs = builds.agnostic_outputs(WEBAPPS)
    ids = load_ids(EXAMPLES / "webapps-agnostic/ids.nix").ids
    webapp2 = json.loads(Path(outputs["webapp2"], "webapp2.json").read_text())
    assert webapp2["process"].endswith("-webapp/bin/webapp") and webapp2["daemonArgs"] == ["-D"]
    assert webapp2["environment"] == {"PID_FILE": "/tmp/webapp2.pid", "PORT": ids["webappPorts"]["webapp2"]}
    assert webapp2["user"] == "webapp2" and webapp2["overrides"] == {"sysvinit": {"runlevels": [3, 4, 5]}}
    assert webapp2["credentials"] == {"groups": {"webapp2": {}},
                                      "users": {"webapp2": {"description": "Webapp user", "group": "webapp2"}}}
    assert webapp2["dependencies"] == [outputs["webapp1"]]
    nginx = json.loads(Path(outputs["nginx"], "nginx.json").read_text())
    assert nginx["dependencies"] == [outputs["webapp1"], outputs["webapp2"]]
    assert nginx["foregroundProcessExtraArgs"] == ["-g", "daemon off;"]
    config = Path(nginx["args"][nginx["args"].index("-c") + 1]).read_text()
    assert f"listen {ids['nginxPorts']['nginx']} default_server;" in config
    for webapp in ("webapp1", "webapp2"):
        port = ids["webappPorts"][webapp]
        assert f"server_name {webapp}.local;" in config and f"server 127.0.0.1:{port};" in config
    assert "user nginx nginx;" in config


@pytest.mark.parametrize(("mode", "expected"), [
    ("null", {"process", "daemonArgs"}),
    ('"daemon"', {"daemon", "daemonArgs", "pidFile"}),
    ('"foreground"', {"foregroundProcess"}),
])
def test_webapp_mode_picks_the_description(mode: str, expected: set[str], tmp_path: Path) -> None:
    with Store(str(tmp_path / "root")) as store:
        ev = build_evaluator(store, BuildRequest("sysvinit", None, pkgs="stub"))
        files = ev.eval_string(f"(import {EXAMPLES / WEBAPPS} {{ processManager = null; webappMode = {mode}; }})"
                               ".webapp1.pkg.files")
        params = json.loads(json.loads(ev.force(files))["webapp1.json"]["content"])
    assert {"process", "daemon", "foregroundProcess", "daemonArgs", "pidFile"} & params.keys() == expected
    assert ("PID_FILE" in params["environment"]) == (mode != '"foreground"')


def test_an_unknown_webapp_mode_is_an_error(builds: Builds) -> None:
    result = CliRunner().invoke(nixproc_build, ["-P", "sysvinit", "--pkgs", "stub", "--store-dir", builds.store_dir,
                                                "--no-out-link", "--extra-params", '{ webappMode = "sometimes"; }',
                                                str(EXAMPLES / WEBAPPS)])
    assert result.exit_code == 1
    assert 'webappMode must be "foreground", "daemon" or null, not "sometimes"' in result.output


# id-assign on a copy of the example ---------------------------------------------------------------

RESOURCES = """\
rec {
  webappPorts = { min = 7100; max = 7200; };
  nginxPorts = { min = 9100; max = 9200; };
  uids = { min = 3100; max = 3200; };
  gids = uids;
}
"""


@pytest.fixture
def assigned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Ids]:
    """A copy of the examples whose webapps got new ids from other pools (ports free on this machine)."""
    monkeypatch.setenv("NIX_PATH", "")
    for variable in [name for name in os.environ if name.startswith("NIXPROC_")]:
        monkeypatch.delenv(variable)
    copy = tmp_path / "examples"
    for example in ("webapps-agnostic", "services-agnostic"):
        shutil.copytree(EXAMPLES / example, copy / example)
    webapps = copy / "webapps-agnostic"
    (webapps / "ids.nix").unlink()
    (webapps / "idresources.nix").write_text(RESOURCES)
    invoke(nixproc_id_assign, "--skip-ports-in-use", str(webapps / "processes.nix"))
    return webapps, load_ids(webapps / "ids.nix")


def test_assigned_ids_reach_the_scripts_and_the_accounts(builds: Builds, assigned: tuple[Path, Ids]) -> None:
    webapps, ids = assigned
    assert set(ids.ids["uids"]) == {"nginx", "webapp1", "webapp2"}
    assert all(7100 <= port <= 7200 for port in ids.ids["webappPorts"].values())
    profile = Path(invoke(nixproc_build, "-P", "sysvinit", "--store-dir", builds.store_dir, "--no-out-link",
                          str(webapps / "processes.nix")))
    for webapp in ("webapp1", "webapp2"):
        script = (profile / "etc/rc.d/init.d" / webapp).read_text()
        assert f"export PORT='{ids.ids['webappPorts'][webapp]}'" in script
    nginx = (profile / "etc/rc.d/init.d/nginx").read_text()
    config = Path(re.search(r" -c (\S+)", nginx).group(1).strip("'")).read_text()
    assert f"listen {ids.ids['nginxPorts']['nginx']} default_server;" in config
    for webapp in ("webapp1", "webapp2"):
        assert f"server 127.0.0.1:{ids.ids['webappPorts'][webapp]};" in config
    for instance in ("nginx", "webapp1", "webapp2"):
        user = (profile / "dysnomia-support/users" / instance).read_text()
        group = (profile / "dysnomia-support/groups" / instance).read_text()
        assert user.startswith(f"uid={ids.ids['uids'][instance]}\n")
        assert group.startswith(f"gid={ids.ids['gids'][instance]}\n")


@pytest.mark.parametrize(("model", "ids_file"), [
    (WEBAPPS, "webapps-agnostic/ids.nix"),
    (ADVANCED, "webapps-agnostic/ids-advanced.nix"),
    (SERVICES, "services-agnostic/ids.nix"),
])
def test_the_shipped_ids_are_up_to_date(builds: Builds, model: str, ids_file: str) -> None:
    """Assigning again with the shipped ids changes nothing: they cover every instance of the model."""
    again = CliRunner().invoke(nixproc_id_assign, ["--ids", str(EXAMPLES / ids_file), "--output-file", "-",
                                                   str(EXAMPLES / model)])
    assert again.exit_code == 0, again.output
    assert again.stdout == (EXAMPLES / ids_file).read_text()


# The example running ------------------------------------------------------------------------------


def http_get(port: int, host: str) -> tuple[int, str]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    head, _, body = response.decode().partition("\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def readable_store() -> Iterator[str]:
    """A store every user can read, as a real one: nginx's workers run as nobody and serve the error page from it."""
    root = tempfile.mkdtemp(prefix="nixproc-examples-")
    os.chmod(root, 0o755)
    yield os.path.join(root, "store")
    remove_tree(root)


@pytest.mark.integration
def test_the_webapps_answer_through_nginx(readable_store: str, assigned: tuple[Path, Ids], tmp_path: Path) -> None:
    """The sysvinit scripts start the webapps and nginx; nginx picks the webapp by host name."""
    webapps, ids = assigned
    state = tmp_path / "state"
    for directory in ("run", "tmp", "log"):
        (state / directory).mkdir(parents=True)
    profile = Path(invoke(nixproc_build, "-P", "sysvinit", "--store-dir", readable_store, "--no-out-link",
                          "--state-dir", str(state), "--force-disable-user-change", str(webapps / "processes.nix")))
    pid_files = [state / "tmp/webapp1.pid", state / "tmp/webapp2.pid", state / "run/nginx.pid"]
    try:
        for instance in ("webapp1", "webapp2", "nginx"):
            started = subprocess.run([str(profile / "etc/rc.d/init.d" / instance), "start"],
                                     capture_output=True, text=True, timeout=30)
            assert started.returncode == 0, started.stdout + started.stderr
        port = ids.ids["nginxPorts"]["nginx"]
        for webapp in ("webapp1", "webapp2"):
            status, body = retry(lambda: http_get(port, f"{webapp}.local"))
            assert (status, body) == (200, f"Hello from the webapp on port {ids.ids['webappPorts'][webapp]}!\n")
        status, body = http_get(port, "elsewhere.local")
        assert status == 404 and "No such web application" in body
        for instance in ("nginx", "webapp2", "webapp1"):
            stopped = subprocess.run([str(profile / "etc/rc.d/init.d" / instance), "stop"],
                                     capture_output=True, text=True, timeout=30)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    finally:
        for pid_file in pid_files:
            try:
                os.kill(int(pid_file.read_text().split()[0]), 15)
            except (OSError, ValueError, IndexError):
                pass


def retry(attempt, tries: int = 50):
    for _ in range(tries - 1):
        try:
            return attempt()
        except OSError:
            time.sleep(0.1)
    return attempt()
