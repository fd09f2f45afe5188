"""The docker generator (SPEC §3.8): container files, image arguments, overrides, and hostile values.

No Docker engine runs here, so the container description is checked the way
it would be consumed: the createparams go through the same
``xargs -d '\\n' docker create`` pipeline Dysnomia's docker-container module
uses (with a recorder for ``docker``), and through the real ``docker``
client against a stand-in engine socket that records the create request.
The image's command is run for real as Docker would start it: its ``Cmd``
with its ``Env`` in its ``WorkingDir``.
"""
from __future__ import annotations

import json
import os
import shutil
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from backend_checks import HOSTILE, bash_syntax_ok, shellcheck_ok
from golden_files import assert_matches_golden

from nixproc_disnix.backends.common.backend import Dependency, generator
from nixproc_disnix.backends.common.foreground_proxy import ForegroundProxyParams, ProxyTools, foreground_proxy
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile, GeneratedOutput, write_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.docker.generate import (
    DockerComposition,
    docker_container_params,
    docker_image_params,
    generate,
)
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.image.process_image import ProcessImage
from nixproc_disnix.model.ids import Ids
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

GOLDEN = Path(__file__).parent / "golden"
STORE = "/nix/store"
BASH = shutil.which("bash")
XARGS = shutil.which("xargs")
DOCKER = shutil.which("docker")


def store_path(index: int, name: str) -> str:
    return f"{STORE}/{index}123456789abcdfghijklmnpqrsvwxyz-{name}"


# The composition the framework passes: upstream's packages, by store path.
COMPOSITION = DockerComposition(
    base_packages=tuple(store_path(i, name) for i, name in enumerate(["coreutils", "gnused", "gnugrep", "inetutils"])),
    common_tools=store_path(4, "nixproc-tools"),
    proxy_tools=ProxyTools(chainload_user=f"{store_path(9, 'nixproc-tools')}/bin/nixproc-chainload-user", platform="linux"),
)

# Values a createparams line can hold: anything but a line break.
ONE_LINE_HOSTILE = [value for value in HOSTILE if "\n" not in value]

# What Dysnomia's docker-container module runs to create a container (dysnomia-modules/docker-container.in).
DYSNOMIA_CREATE = r"""
set -e
source $2/*-docker-settings
dockerContainerName="dysnomia-$3"
(
cat $2/*-docker-createparams
echo "--name"
echo "$dockerContainerName"
echo "$dockerImageTag"
) | xargs -d '\n' "$DOCKER" create
"""


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "docker")


def file_of(output: GeneratedOutput, path: str) -> str:
    entry = output[path]
    assert isinstance(entry, GeneratedFile)
    return entry.content


def webapp_process(**extra: Any) -> ManagedProcess:
    """The running example of SPEC §3: §1.4's webapp with ``instanceName = "webapp"``."""
    params: dict[str, Any] = {
        "instanceName": "webapp",
        "process": f"{store_path(0, 'webapp')}/bin/webapp",
        "daemonArgs": ["-D"],
        "description": "Simple web application",
        "environment": {"PORT": 5000, "PID_FILE": "/tmp/webapp.pid"},
        "user": "webapp",
        "credentials": {"groups": {"webapp": {}}, "users": {"webapp": {"description": "Webapp", "group": "webapp"}}},
        "overrides": {"sysvinit": {"runlevels": [3, 4, 5]}},
    }
    return managed(**(params | extra))


def nginx_process(dependencies: list[Dependency]) -> ManagedProcess:
    """A daemon-only nginx in front of the webapp: the proxy wraps the daemon and waits for its PID file."""
    process = managed(
        instanceName="nginx",
        daemon=f"{store_path(1, 'nginx')}/bin/nginx",
        daemonArgs=["-p", "/var/nginx", "-c", f"{store_path(2, 'nginx.conf')}"],
        pidFile="/var/nginx/logs/nginx.pid",
        initialize="mkdir -p /var/nginx/logs\n",
        directory="/var/nginx",
        umask="022",
        nice=5,
        path=[store_path(3, "openssl")],
        environment={"TZ": "UTC"},
        credentials={"groups": {"nginx": {}}, "users": {"nginx": {"group": "nginx", "description": "Nginx"}}},
    )
    return process.model_copy(update={"dependencies": dependencies})


# Layout, golden files, image arguments ---------------------------------------------------------


def assert_matches_golden_with_proxy(output: GeneratedOutput, golden: Path, proxy: ForegroundProxyParams) -> None:
    """The output is its golden tree plus the shared foreground proxy made of ``proxy``.

    The proxy's own text is the shared generator's (tested with it), so the
    golden trees leave it out and this checks what docker asks of it.
    """
    proxy_path = f"bin/{proxy.name}-foregroundproxy.sh"
    assert_matches_golden({path: entry for path, entry in output.items() if path != proxy_path}, golden)
    assert output[proxy_path] == foreground_proxy(proxy, COMPOSITION.proxy_tools).script


def webapp_proxy(initialize: str, user: str | None = "webapp") -> ForegroundProxyParams:
    return ForegroundProxyParams(
        name="webapp",
        executable=f"{store_path(0, 'webapp')}/bin/webapp",
        initialize=initialize,
        wrap_daemon=False,
        runtime_dir="/var/run",
        instance_name="webapp",
        user=user,
    )


def test_webapp_output_matches_golden() -> None:
    generated = generate(webapp_process(), BackendSettings(), COMPOSITION)
    assert generated.name == "webapp" and generated.passthru == {"priority": 1}
    assert_matches_golden_with_proxy(
        generated.files,
        GOLDEN / "webapp",
        # The accounts are the image's: nothing creates them when the container starts.
        webapp_proxy("nixproc-init-state --state-dir /var --runtime-dir /var/run\n"),
    )
    # SPEC §3.8's example.
    assert file_of(generated.files, "webapp-docker-createparams") == (
        "--volume\n/nix/store:/nix/store\n--network\nhost\n--volume\n/var:/var:z\n"
    )
    assert file_of(generated.files, "01-webapp-docker-priority") == ""
    assert file_of(generated.files, "webapp-docker-settings") == (
        f"dockerImage={OUT_PLACEHOLDER}/webapp-docker-image.tar.gz\ndockerImageTag=webapp:latest\n"
    )
    assert file_of(generated.files, "webapp-docker-cmd") == f"{OUT_PLACEHOLDER}/bin/webapp-foregroundproxy.sh\n"
    # No dysnomia-support at the top: Dysnomia must not create these accounts on the host.
    assert not [path for path in generated.files if path.startswith("dysnomia-support")]
    proxy = file_of(generated.files, "bin/webapp-foregroundproxy.sh")
    bash_syntax_ok(proxy)
    shellcheck_ok(proxy)


def test_webapp_image_arguments() -> None:
    image = docker_image_params(webapp_process(), BackendSettings(), COMPOSITION)
    packages = [*COMPOSITION.base_packages, COMPOSITION.common_tools]
    assert image.model_dump(by_alias=True, exclude_defaults=True) == {
        "name": "webapp",
        "extraCommands": "mkdir -p run tmp var\nchmod 1777 tmp\nln -sfn /run var/run\n",
        "accounts": {
            "groups": [{"name": "root", "attributes": {"gid": "0"}}],
            "users": [{"name": "root", "attributes": {"uid": "0", "group": "root", "homeDir": "/root"}}],
            "profiles": [f"{OUT_PLACEHOLDER}/webapp-credentials"],
        },
        "config": {
            # The process offers a foreground mode, which docker prefers: no -D.
            "Cmd": [f"{OUT_PLACEHOLDER}/bin/webapp-foregroundproxy.sh"],
            "Env": [
                "PATH=" + ":".join(f"{package}/bin" for package in packages) + ":/bin",
                "PID_FILE=/tmp/webapp.pid",
                "PORT=5000",
            ],
        },
    }
    assert image.tag == "latest"


def test_nginx_with_dependency_matches_golden() -> None:
    webapp = generate(webapp_process(), BackendSettings(), COMPOSITION)
    dependency = Dependency(webapp.name, store_path(4, "webapp"), webapp.passthru)
    process = nginx_process([dependency])
    generated = generate(process, BackendSettings(), COMPOSITION)
    assert generated.passthru == {"priority": 2}
    # umask applies before initialize, in the proxy; the working directory is the image's.
    proxy = ForegroundProxyParams(
        name="nginx",
        executable=f"{store_path(1, 'nginx')}/bin/nginx",
        args=["-p", "/var/nginx", "-c", store_path(2, "nginx.conf")],
        initialize="nixproc-init-state --state-dir /var --runtime-dir /var/run\n"
        "umask 022\nmkdir -p /var/nginx/logs\n",
        wrap_daemon=True,
        runtime_dir="/var/run",
        instance_name="nginx",
        pid_file="/var/nginx/logs/nginx.pid",
        nice=5,
    )
    assert_matches_golden_with_proxy(generated.files, GOLDEN / "nginx", proxy)
    script = file_of(generated.files, "bin/nginx-foregroundproxy.sh")
    bash_syntax_ok(script)
    shellcheck_ok(script)
    image = docker_image_params(process, BackendSettings(), COMPOSITION)
    assert image.config["WorkingDir"] == "/var/nginx"
    assert image.config["Cmd"] == [f"{OUT_PLACEHOLDER}/bin/nginx-foregroundproxy.sh", "-p", "/var/nginx", "-c", store_path(2, "nginx.conf")]
    assert file_of(generated.files, "nginx-storepaths").splitlines()[-1] == store_path(3, "openssl")


def test_the_output_describes_the_image_its_container_loads() -> None:
    image = ProcessImage.model_validate_json(generate(webapp_process(), BackendSettings(), COMPOSITION).image)
    assert (image.file, image.name, image.tag) == ("webapp-docker-image.tar.gz", "webapp", "latest")
    assert image.config.cmd == [f"{OUT_PLACEHOLDER}/bin/webapp-foregroundproxy.sh"]
    assert image.accounts.profiles == [f"{OUT_PLACEHOLDER}/webapp-credentials"]
    # With an image of its own, the container loads that one, and the output holds none.
    own = webapp_process(overrides={"docker": {"container": {"dockerImage": "/images/webapp.tar"}}})
    assert generate(own, BackendSettings(), COMPOSITION).image == ""


@pytest.mark.parametrize("image", [{"runAsRoot": "useradd x"}, {"fromImage": "/images/base.tar"}])
def test_what_needs_a_vm_or_a_base_image_is_refused_for_the_outputs_image(image: dict[str, Any]) -> None:
    with pytest.raises(EvalError, match=f"image of docker process 'webapp' cannot have {next(iter(image))}"):
        generate(webapp_process(overrides={"docker": {"image": image}}), BackendSettings())


@pytest.mark.parametrize(("highest", "file"), [(8, "09-x-docker-priority"), (9, "10-x-docker-priority"), (99, "100-x-docker-priority")])
def test_priority_follows_the_highest_dependency(highest: int, file: str) -> None:
    dependencies = [Dependency("a", passthru={"priority": 1}), Dependency("b", passthru={"priority": highest})]
    process = managed(name="x", foregroundProcess="/bin/x").model_copy(update={"dependencies": dependencies})
    generated = generate(process, BackendSettings(), COMPOSITION)
    assert generated.passthru == {"priority": highest + 1} and file in generated.files


def test_dependency_from_another_backend_has_no_priority() -> None:
    process = managed(name="x", foregroundProcess="/bin/x").model_copy(update={"dependencies": [Dependency("other")]})
    with pytest.raises(ThrownError, match="attribute 'priority' missing in dependency 'other'"):
        generate(process, BackendSettings())


def test_force_disable_user_change_creates_no_accounts_and_switches_no_user() -> None:
    settings = BackendSettings(force_disable_user_change=True)
    generated = generate(webapp_process(), settings, COMPOSITION)
    assert not [path for path in generated.files if "credentials" in path]
    assert generated.files["bin/webapp-foregroundproxy.sh"] == foreground_proxy(
        webapp_proxy("nixproc-init-state --state-dir /var --runtime-dir /var/run\n", user=None), COMPOSITION.proxy_tools
    ).script
    image = docker_image_params(webapp_process(), settings, COMPOSITION)
    assert [user.name for user in image.accounts.users] == ["root", "nobody"] and not image.accounts.profiles


def test_assigned_ids_reach_the_container_accounts() -> None:
    settings = BackendSettings(ids=Ids.model_validate({"ids": {"uids": {"webapp": 2000}, "gids": {"webapp": 2000}}}))
    files = generate(webapp_process(), settings, COMPOSITION).files
    assert file_of(files, "webapp-credentials/dysnomia-support/groups/webapp") == "gid=2000\n\n"


def test_no_executable_is_an_error() -> None:
    with pytest.raises(ThrownError, match="process 'x' has neither a foreground process nor a daemon"):
        generate(managed(name="x"), BackendSettings())


@pytest.mark.parametrize("name", ["Webapp", "web app", "x/y", "-x", "it's", ""])
def test_names_that_cannot_name_an_image_or_the_output_are_refused(name: str) -> None:
    with pytest.raises(EvalError, match="docker process name"):
        generate(managed(name=name, foregroundProcess="/bin/x"), BackendSettings())


# Overrides and the native function ---------------------------------------------------------------


def test_overrides_merge_into_image_and_container() -> None:
    process = webapp_process(
        overrides={
            "docker": {
                "image": {"config": {"ExposedPorts": {"5000/tcp": {}}}, "tag": "v1"},
                "container": {"useHostNetwork": False, "dockerCreateParameters": {"publish": "5000:5000", "p": 1}},
            }
        }
    )
    image = docker_image_params(process, BackendSettings(), COMPOSITION)
    assert image.tag == "v1" and image.config["ExposedPorts"] == {"5000/tcp": {}}
    assert image.config["Cmd"] == [f"{OUT_PLACEHOLDER}/bin/webapp-foregroundproxy.sh"]
    createparams = file_of(generate(process, BackendSettings(), COMPOSITION).files, "webapp-docker-createparams")
    # Attribute-set parameters in attrNames order, then the generated ones; one-letter names take one dash.
    assert createparams.splitlines() == ["-p", "1", "--publish", "5000:5000", "--volume", "/nix/store:/nix/store", "--volume", "/var:/var:z"]


def test_function_overrides_see_the_generated_arguments() -> None:
    seen: dict[str, Any] = {}

    def image(args: dict[str, Any]) -> dict[str, Any]:
        return {**args, "fromImage": store_path(8, "base-image.tar.gz")}

    def container(args: dict[str, Any]) -> dict[str, Any]:
        seen.update(args)
        return {**args, "dockerImage": "/images/webapp.tar", "mapStateDirVolumes": []}

    process = webapp_process(overrides={"docker": {"image": image, "container": container}})
    assert docker_image_params(process, BackendSettings(), COMPOSITION).from_image == store_path(8, "base-image.tar.gz")
    files = generate(process, BackendSettings(), COMPOSITION).files
    assert seen["dockerImage"] == f"{OUT_PLACEHOLDER}/webapp-docker-image.tar.gz"
    assert seen["dockerImageTag"] == "webapp:latest" and seen["useHostNixStore"] is True
    assert file_of(files, "webapp-docker-settings").startswith("dockerImage=/images/webapp.tar\n")
    assert "/var:/var:z" not in file_of(files, "webapp-docker-createparams")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"containers": {}}, "must be an attribute set with 'image' and/or 'container'"),
        ({"container": {"useHostNetwrok": True}}, "docker container parameters of process 'webapp': useHostNetwrok"),
        ({"image": {"runAsroot": ""}}, "docker image parameters of process 'webapp': runAsroot"),
    ],
)
def test_wrong_overrides_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(EvalError, match=message):
        generate(webapp_process(overrides={"docker": overrides}), BackendSettings())


def test_function_form_of_the_whole_docker_override_is_refused() -> None:
    with pytest.raises(EvalError, match="overrides.docker of process 'webapp' must be an attribute set"):
        docker_container_params(webapp_process(overrides={"docker": lambda args: args}), BackendSettings())


def test_native_create_docker_container() -> None:
    native = generator("docker").create(
        {
            "name": "db",
            "dockerImage": "/images/db.tar.gz",
            "dockerImageTag": "db:13",
            "dockerCreateParameters": [{"name": "rm"}, {"name": "e", "value": "A=1"}, {"name": "init", "value": True}],
            "environment": {"B": 2},
            "cmd": ["/bin/db", "--port", 5432],
            "storePaths": ["/nix/store/a", "/nix/store/b"],
        },
        BackendSettings(),
    )
    # Without the host store, cmd and storePaths are not written; the tag is the one given.
    assert native.files == {
        "db-docker-settings": GeneratedFile("dockerImage=/images/db.tar.gz\ndockerImageTag=db:13\n"),
        "db-docker-createparams": GeneratedFile("--rm\n-e\nA=1\n--init\n1\n--env\nB=2\n"),
        "01-db-docker-priority": GeneratedFile(""),
    }
    with_store = generator("docker").create(
        {"name": "db", "dockerImage": "i", "dockerImageTag": "t", "useHostNixStore": True, "cmd": ["/bin/db", 1], "storePaths": ["/nix/store/a"]},
        BackendSettings(),
    )
    assert file_of(with_store.files, "db-docker-cmd") == "/bin/db 1\n"
    assert file_of(with_store.files, "db-storepaths") == "/nix/store/a\n"
    with pytest.raises(EvalError, match="invalid createDockerContainer: dockerImageTag: Field required"):
        generator("docker").create({"name": "db", "dockerImage": "i"}, BackendSettings())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dockerCreateParameters": [{"name": "label", "value": "a\nb"}]}, "spans lines"),
        ({"environment": {"A": "x\ny"}}, "spans lines"),
        ({"environment": {"A=B": "x"}}, "environment variable name 'A=B'"),
        ({"mapStateDirVolumes": ["/var/a:b"]}, "cannot be mapped with --volume"),
        ({"dockerCreateParameters": [{"name": ""}]}, "has an empty name"),
    ],
)
def test_values_docker_create_cannot_receive_are_refused(params: dict[str, Any], message: str) -> None:
    with pytest.raises(EvalError, match=message):
        generator("docker").create({"name": "x", "dockerImage": "i", "dockerImageTag": "t", **params}, BackendSettings())


def test_state_directory_with_a_line_break_is_refused() -> None:
    with pytest.raises(EvalError, match="spans lines"):
        generate(managed(name="x", foregroundProcess="/bin/x"), BackendSettings(state_dir="/var/a\nb"))


# Hostile values through Dysnomia's xargs and the real docker client -------------------------------


def hostile_container(value: str) -> dict[str, Any]:
    return {
        "name": "x",
        "dockerImage": f"/images/{value}.tar",
        "dockerImageTag": f"x:{value}",
        "dockerCreateParameters": [{"name": "label", "value": f"hostile={value}"}, {"name": "hostname", "value": value}],
        "environment": {"HOSTILE": value},
        "useHostNixStore": True,
        "useHostNetwork": True,
        "mapStateDirVolumes": [f"/srv/{value}"],
    }


def create_through_dysnomia(
    output: GeneratedOutput, root: Path, docker: str, container: str, environment: dict[str, str] | None = None
) -> None:
    assert BASH is not None and XARGS is not None, "bash and xargs are required"
    write_output(output, root)
    result = subprocess.run(
        [BASH, "-c", DYSNOMIA_CREATE, "dysnomia", "activate", str(root), container],
        env={**os.environ, **(environment or {}), "DOCKER": docker}, cwd=root, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", ONE_LINE_HOSTILE)
def test_hostile_values_reach_docker_create_as_single_arguments(value: str, tmp_path: Path) -> None:
    recorder = tmp_path / "docker"
    recorder.write_text('#!/bin/bash\nprintf \'%s\\0\' "$@" > "${0%/*}/argv"\n')
    recorder.chmod(0o755)
    output = generator("docker").create(hostile_container(value), BackendSettings()).files
    create_through_dysnomia(output, tmp_path / "out", str(recorder), "x")
    argv = (tmp_path / "argv").read_bytes().split(b"\0")[:-1]
    assert [word.decode() for word in argv] == [
        "create", "--label", f"hostile={value}", "--hostname", value, "--volume", "/nix/store:/nix/store",
        "--network", "host", "--volume", f"/srv/{value}:/srv/{value}:z", "--env", f"HOSTILE={value}",
        "--name", "dysnomia-x", f"x:{value}",
    ]
    assert not list(tmp_path.rglob("pwned"))


class _Engine(BaseHTTPRequestHandler):
    """Answers the docker client's ping and create requests, recording each create request's body."""

    protocol_version = "HTTP/1.1"
    created: list[tuple[str, dict[str, Any]]]

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._reply(200, b"OK", "text/plain")

    do_GET = do_HEAD

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.created.append((self.path, json.loads(body)))  # type: ignore[attr-defined]
        self._reply(201, b'{"Id":"0123456789ab","Warnings":[]}', "application/json")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """A stand-in Docker engine on a Unix socket (a thread of this test process): its address and its log."""
    socket_path = tmp_path / "engine.sock"
    server = socketserver.ThreadingUnixStreamServer(str(socket_path), _Engine)
    server.daemon_threads = True
    created: list[tuple[str, dict[str, Any]]] = []
    server.created = created  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"unix://{socket_path}", created
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(DOCKER is None, reason="the docker client is not installed (Debian: docker.io)")
def test_real_docker_client_reads_hostile_values_back_byte_exact(
    tmp_path: Path, engine: tuple[str, list[tuple[str, dict[str, Any]]]]
) -> None:
    address, created = engine
    values = [value for value in ONE_LINE_HOSTILE if value and "," not in value]
    params = hostile_container(values[0])
    params["dockerCreateParameters"] = [{"name": "label", "value": f"v{index}={value}"} for index, value in enumerate(values)]
    params["environment"] = {f"V{index}": value for index, value in enumerate(values)}
    params["dockerImageTag"] = "x:latest"
    output = generator("docker").create(params, BackendSettings()).files
    assert DOCKER is not None
    client_environment = {"DOCKER_HOST": address, "DOCKER_CONFIG": str(tmp_path / "docker-config")}
    create_through_dysnomia(output, tmp_path / "out", DOCKER, "x", client_environment)
    [(path, request)] = created
    assert path.endswith("/containers/create?name=dysnomia-x")
    assert request["Image"] == "x:latest"
    assert request["Labels"] == {f"v{index}": value for index, value in enumerate(values)}
    # The client keeps each variable but not their order.
    assert sorted(request["Env"]) == sorted(f"V{index}={value}" for index, value in enumerate(values))
    assert sorted(request["HostConfig"]["Binds"]) == sorted(["/nix/store:/nix/store", f"/srv/{values[0]}:/srv/{values[0]}:z"])
    assert request["HostConfig"]["NetworkMode"] == "host"
    assert not list(tmp_path.rglob("pwned"))


# The image's command, run as Docker would start the container --------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_image_command_runs_byte_exact_with_its_environment(value: str, tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    (tools / "bin").mkdir(parents=True)
    # Stand-ins for nixproc-init-state and the process: each records its arguments and environment.
    recorder = '#!/bin/bash\nprintf \'%s\\0\' "$0" "$@" "$HOSTILE" "$(umask)" "$PWD" > "$RECORD_DIR/$(basename "$0")"\n'
    for program in ("nixproc-init-state", "process"):
        (tools / "bin" / program).write_text(recorder)
        (tools / "bin" / program).chmod(0o755)
    workdir = tmp_path / f"work {value}"
    workdir.mkdir()
    (tmp_path / "record").mkdir()
    process = managed(
        name="x",
        foregroundProcess=str(tools / "bin/process"),
        foregroundProcessArgs=[value, "-n", value],
        directory=str(workdir),
        umask="027",
        path=[str(tools)],
        environment={"HOSTILE": value, "RECORD_DIR": str(tmp_path / "record")},
        initialize="true",
    )
    # The state directory is also a createparams line, which cannot break.
    state_dir = "/state " + value.replace("\n", " ")
    settings = BackendSettings(state_dir=state_dir, runtime_dir=f"/run {value}", force_disable_user_change=True)
    generated = generate(process, settings)
    write_output(generated.files, tmp_path / "out")
    image = docker_image_params(process, settings)
    argv = [word.replace(OUT_PLACEHOLDER, str(tmp_path / "out")) for word in image.config["Cmd"]]
    environment = dict(entry.split("=", 1) for entry in image.config["Env"])
    environment["PATH"] += ":/usr/bin"  # the stand-in image's own /bin is this machine's
    subprocess.run(argv, env=environment, cwd=image.config["WorkingDir"], check=True, timeout=30)
    def recorded(program: str) -> list[bytes]:
        return (tmp_path / "record" / program).read_bytes().split(b"\0")[:-1]
    assert recorded("nixproc-init-state")[1:5] == [b"--state-dir", state_dir.encode(), b"--runtime-dir", f"/run {value}".encode()]
    assert recorded("process") == [
        str(tools / "bin/process").encode(), value.encode(), b"-n", value.encode(), value.encode(), b"0027", str(workdir).encode()
    ]
    assert not list(tmp_path.rglob("pwned"))
