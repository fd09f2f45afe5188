"""The disnix generator (SPEC §3.7): wrapper and Dysnomia config, overrides, and hostile values run for real.

The runtime tests write the output, then activate and deactivate it the way
Dysnomia's ``process`` module does (source ``etc/dysnomia/process/*``, run
``$process``, later ``kill "$(cat $pidFile)"``), with the real ``su`` and
libslack ``daemon`` of this machine. Every process they start carries a
marker in its environment and is killed by PID at teardown.
"""
from __future__ import annotations

import json
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backend_checks import (
    HOSTILE,
    Reaper,
    accepts,
    alive,
    argv_of,
    bash_syntax_ok,
    delayed_server,
    environ_of,
    free_port,
    read_pid,
    wait_for,
)
from golden_files import assert_matches_golden

from nixproc_disnix.backends.common.backend import Dependency, generator
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile, GeneratedOutput, write_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.disnix.generate import DisnixComposition, generate, process_script_params
from nixproc_disnix.errors import BuildError, EvalError, ThrownError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

BASH = shutil.which("bash")
SHELLCHECK = "/usr/bin/shellcheck"
DAEMON = shutil.which("daemon")
GOLDEN = Path(__file__).parent / "golden"
WEBAPP = Path(__file__).resolve().parents[3] / "examples/webapps-agnostic/webapp/webapp.py"
STORE = "/nix/store"

# What Dysnomia's process module does with a component (dysnomia-modules/process.in), minus
# the account handling and the state markers: the same unquoted `source`, `$process` and `cat`.
DYSNOMIA_PROCESS = r"""
set -e
shopt -s nullglob
runtimeDir=${runtimeDir:-/var/run}
source $2/etc/dysnomia/process/*
if [ "$pidFile" = "" ]; then pidFile="$runtimeDir/$(basename $process).pid"; fi
case "$1" in
    activate) $process ;;
    deactivate) kill "$(cat $pidFile)" ;;
    pidfile) printf '%s' "$pidFile" ;;
esac
"""


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "disnix")


def wrapper_of(output: GeneratedOutput, name: str) -> str:
    entry = output[f"bin/{name}-process-wrapper"]
    assert isinstance(entry, GeneratedFile) and entry.executable
    return entry.content


def config_of(output: GeneratedOutput, name: str) -> str:
    entry = output[f"etc/dysnomia/process/{name}"]
    assert isinstance(entry, GeneratedFile) and not entry.executable
    return entry.content


def check_script(script: str, tmp_path: Path, severity: str = "style") -> None:
    """``bash -n`` and shellcheck accept the script: at every severity normally; with hostile
    values only from ``warning`` up, as the info notes (SC1003, SC2016) flag single-quoted
    text that looks like code, which is what those values are meant to be."""
    bash_syntax_ok(script)
    path = tmp_path / "script-under-check"
    path.write_text(script)
    lint = subprocess.run([SHELLCHECK, "-S", severity, str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def webapp_process(**extra: Any) -> ManagedProcess:
    """The running example of SPEC §3: §1.4's webapp with ``instanceName = "webapp"``."""
    params: dict[str, Any] = {
        "instanceName": "webapp",
        "process": f"{STORE}/0123456789abcdfghijklmnpqrsvwxyz-webapp/bin/webapp",
        "daemonArgs": ["-D"],
        "description": "Simple web application",
        "environment": {"PORT": 5000, "PID_FILE": "/tmp/webapp.pid"},
        "user": "webapp",
        "credentials": {"groups": {"webapp": {}}, "users": {"webapp": {"description": "Webapp", "group": "webapp"}}},
        "overrides": {"sysvinit": {"runlevels": [3, 4, 5]}},
    }
    return managed(**(params | extra))


def nginx_process(dependencies: list[Dependency]) -> ManagedProcess:
    """A foreground-only nginx in front of the webapp, with every wrapper setting used."""
    process = managed(
        instanceName="nginx",
        foregroundProcess=f"{STORE}/1123456789abcdfghijklmnpqrsvwxyz-nginx/bin/nginx",
        foregroundProcessArgs=["-p", "/var/nginx", "-c", f"{STORE}/2123456789abcdfghijklmnpqrsvwxyz-nginx.conf", "-g", "daemon off;"],
        initialize="mkdir -p /var/nginx/logs\nmkdir -p /var/cache/nginx\n",
        directory="/var/nginx",
        umask="022",
        nice=5,
        path=[f"{STORE}/3123456789abcdfghijklmnpqrsvwxyz-openssl"],
        credentials={"groups": {"nginx": {}}, "users": {"nginx": {"group": "nginx", "description": "Nginx"}}},
    )
    return process.model_copy(update={"dependencies": dependencies})


# Layout and golden files ---------------------------------------------------------------------


def test_webapp_output_matches_golden(tmp_path: Path) -> None:
    generated = generate(webapp_process(), BackendSettings())
    assert generated.name == "webapp"
    assert generated.passthru == {"dependencies": []}
    assert generated.post_install == ""
    assert_matches_golden(generated.files, GOLDEN / "webapp")
    check_script(wrapper_of(generated.files, "webapp"), tmp_path)
    # SPEC §3.7's example: the config names the wrapper of the same output and the auto PID file.
    assert config_of(generated.files, "webapp") == (
        f"process={OUT_PLACEHOLDER}/bin/webapp-process-wrapper\npidFile=/tmp/webapp.pid\n"
    )
    assert wrapper_of(generated.files, "webapp").endswith(
        f"\nexec su webapp -c '{STORE}/0123456789abcdfghijklmnpqrsvwxyz-webapp/bin/webapp -D'\n"
    )


def test_nginx_with_dependency_matches_golden(tmp_path: Path) -> None:
    webapp = generate(webapp_process(), BackendSettings())
    dependency = Dependency(webapp.name, f"{STORE}/4123456789abcdfghijklmnpqrsvwxyz-webapp", webapp.passthru)
    composition = DisnixComposition(
        base_packages=(f"{STORE}/5123456789abcdfghijklmnpqrsvwxyz-coreutils",),
        daemon_package=f"{STORE}/6123456789abcdfghijklmnpqrsvwxyz-daemon",
    )
    generated = generate(nginx_process([dependency]), BackendSettings(), composition)
    assert generated.passthru == {"dependencies": [dependency]}
    assert_matches_golden(generated.files, GOLDEN / "nginx")
    wrapper = wrapper_of(generated.files, "nginx")
    check_script(wrapper, tmp_path)
    lines = wrapper.splitlines()
    assert lines[:2] == [
        "#! /bin/bash -e",
        f"export PATH='{STORE}/5123456789abcdfghijklmnpqrsvwxyz-coreutils/bin:{STORE}/6123456789abcdfghijklmnpqrsvwxyz-daemon/bin"
        f":{STORE}/3123456789abcdfghijklmnpqrsvwxyz-openssl/bin':$PATH",
    ]
    # umask, initialize, cd, then the daemonized foreground process with its output logged.
    assert lines[2:6] == ["umask 022", "mkdir -p /var/nginx/logs", "mkdir -p /var/cache/nginx", "cd /var/nginx"]
    assert shlex.split(lines[6]) == [
        "exec", "nice", "-n", "5", "daemon", "--unsafe", "--inherit", "--output", "/var/log/nixproc-nginx.log",
        "--pidfile", "/var/run/nginx.pid", "--",
        f"{STORE}/1123456789abcdfghijklmnpqrsvwxyz-nginx/bin/nginx", "-p", "/var/nginx",
        "-c", f"{STORE}/2123456789abcdfghijklmnpqrsvwxyz-nginx.conf", "-g", "daemon off;",
    ]


def test_foreground_process_without_instance_name_still_has_a_pid_file() -> None:
    process = managed(name="sleeper", foregroundProcess="/bin/sleep", foregroundProcessArgs=["60"])
    output = generate(process, BackendSettings()).files
    # The file daemon writes is known, so Dysnomia can stop the process.
    assert config_of(output, "sleeper").splitlines()[1] == "pidFile=/var/run/sleep.pid"
    assert "--pidfile /var/run/sleep.pid --" in wrapper_of(output, "sleeper")


def test_daemon_without_pid_file_leaves_the_pid_file_to_dysnomia() -> None:
    output = generate(managed(name="d", daemon="/bin/d"), BackendSettings()).files
    assert config_of(output, "d") == f"process={OUT_PLACEHOLDER}/bin/d-process-wrapper\n"
    assert wrapper_of(output, "d") == "#! /bin/bash -e\nexec /bin/d\n"


def test_foreground_user_gets_daemon_user_switch_and_tmp_files() -> None:
    process = managed(instanceName="fg", foregroundProcess="/bin/fg", user="alice")
    assert shlex.split(wrapper_of(generate(process, BackendSettings()).files, "fg").splitlines()[-1]) == [
        "exec", "daemon", "--unsafe", "--inherit", "--output", "/tmp/nixproc-fg.log",
        "--pidfile", "/tmp/fg.pid", "--user", "alice", "--", "/bin/fg",
    ]


def test_force_disable_user_change_drops_the_switch_and_the_accounts() -> None:
    process = webapp_process()
    settings = BackendSettings(force_disable_user_change=True)
    output = generate(process, settings).files
    assert wrapper_of(output, "webapp").splitlines()[-1] == f"exec {STORE}/0123456789abcdfghijklmnpqrsvwxyz-webapp/bin/webapp -D"
    # The PID directory still follows the declared user.
    assert config_of(output, "webapp").splitlines()[1] == "pidFile=/tmp/webapp.pid"
    assert not [path for path in output if path.startswith("dysnomia-support/")]
    foreground = managed(instanceName="fg", foregroundProcess="/bin/fg", user="alice")
    line = wrapper_of(generate(foreground, settings).files, "fg").splitlines()[-1]
    assert "--user" not in line and "--output /var/log/nixproc-fg.log" in line


def test_credentials_with_ids_become_dysnomia_support() -> None:
    from nixproc_disnix.model.ids import Ids

    settings = BackendSettings(ids=Ids.model_validate({"ids": {"uids": {"webapp": 2000}, "gids": {"webapp": 2000}}}))
    output = generate(webapp_process(), settings).files
    assert output["dysnomia-support/groups/webapp"] == GeneratedFile("gid=2000\n\n")
    assert output["dysnomia-support/users/webapp"] == GeneratedFile(
        "uid=2000\ndescription='Webapp'\ngroup='webapp'\n\n"
    )


def test_no_executable_is_an_error() -> None:
    with pytest.raises(ThrownError, match="^I don't know how to start this process!$"):
        generate(managed(name="nothing"), BackendSettings())


@pytest.mark.parametrize("name", ["a b", "x/y", "..", "", "new\nline", "it's", "$(x)"])
def test_names_that_cannot_name_the_output_are_refused(name: str) -> None:
    with pytest.raises(EvalError, match="disnix process name"):
        generate(managed(name=name, daemon="/bin/d"), BackendSettings())


def test_environment_names_must_be_shell_identifiers() -> None:
    with pytest.raises(EvalError, match="environment variable name 'A;B' of process 'x'"):
        generate(managed(name="x", daemon="/bin/x", environment={"A;B": "1"}), BackendSettings())


# Overrides and the native function -----------------------------------------------------------


def test_overrides_merge_into_create_process_script_parameters() -> None:
    process = webapp_process(
        overrides={"disnix": {"pidFile": "/run/other.pid", "credentials": {"users": {"webapp": {"shell": "/bin/sh"}}}}}
    )
    generated = generate(process, BackendSettings())
    assert config_of(generated.files, "webapp").splitlines()[1] == "pidFile=/run/other.pid"
    # Deep merge: the user keeps its generated attributes and gains the new one.
    assert generated.files["dysnomia-support/users/webapp"] == GeneratedFile(
        "description='Webapp'\ngroup='webapp'\nshell='/bin/sh'\n\n"
    )


def test_function_override_sees_generated_parameters_and_can_replace_the_process() -> None:
    seen: dict[str, Any] = {}

    def override(args: dict[str, Any]) -> dict[str, Any]:
        seen.update(args)
        return {**args, "process": "/opt/start-it", "postInstall": "touch $out/done"}

    generated = generate(webapp_process(overrides={"disnix": override}), BackendSettings())
    assert seen["process"] == f"{OUT_PLACEHOLDER}/bin/webapp-process-wrapper"
    assert seen["pidFile"] == "/tmp/webapp.pid" and seen["name"] == "webapp"
    assert config_of(generated.files, "webapp") == "process=/opt/start-it\npidFile=/tmp/webapp.pid\n"
    # Nothing refers to the wrapper any more, so it is not part of the output.
    assert "bin/webapp-process-wrapper" not in generated.files
    assert generated.post_install == "touch $out/done"


def test_unknown_override_parameter_is_refused() -> None:
    with pytest.raises(EvalError, match="disnix parameters of process 'webapp': pidfile"):
        process_script_params(webapp_process(overrides={"disnix": {"pidfile": "/x"}}), BackendSettings())


def test_registry_and_native_create() -> None:
    through_registry = generator("disnix").generate(managed(name="w", daemon="/bin/w"), BackendSettings())
    assert through_registry.name == "w"
    native = generator("disnix").create(
        {"name": "w", "process": "/opt/w start", "pidFile": "/run/w.pid", "credentials": {"groups": {"g": {"gid": 7}}}},
        BackendSettings(),
    )
    assert native.files == {
        "etc/dysnomia/process/w": GeneratedFile("process='/opt/w start'\npidFile=/run/w.pid\n"),
        "dysnomia-support/groups/g": GeneratedFile("gid='7'\n\n"),
    }
    with pytest.raises(EvalError, match="invalid createProcessScript: process: Field required"):
        generator("disnix").create({"name": "w"}, BackendSettings())


def test_output_path_placeholder_needs_a_store_like_root(tmp_path: Path) -> None:
    output = generate(managed(name="w", daemon="/bin/w"), BackendSettings()).files
    with pytest.raises(BuildError, match="characters a store path cannot have"):
        write_output(output, tmp_path / "out 'x'")
    write_output(output, tmp_path / "out")
    assert (tmp_path / "out/etc/dysnomia/process/w").read_text() == f"process={tmp_path}/out/bin/w-process-wrapper\n"


# Hostile values, recorded --------------------------------------------------------------------


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    """A package whose ``bin/`` has ``nice``, ``su``, ``daemon`` and ``record`` stubs: each writes its
    name and arguments (NUL-terminated) and ``$HOSTILE`` to files in ``$RECORD_DIR``."""
    package = tmp_path / "recorder"
    (package / "bin").mkdir(parents=True)
    stub = (
        '#!/bin/bash\nprintf \'%s\\0\' "$(basename "$0")" "$@" > "$RECORD_DIR/argv"\n'
        'printf %s "$HOSTILE" > "$RECORD_DIR/env"\n'
    )
    for command in ("nice", "su", "daemon", "record"):
        (package / "bin" / command).write_text(stub)
        (package / "bin" / command).chmod(0o755)
    return package


def run_wrapper(output: GeneratedOutput, root: Path, record_dir: Path, cwd: Path) -> list[str]:
    """Write the output, run its wrapper as Dysnomia does; the stub's argv."""
    assert BASH is not None, "bash is required"
    write_output(output, root)
    record_dir.mkdir(exist_ok=True)
    environment = {**os.environ, "RECORD_DIR": str(record_dir)}
    result = subprocess.run(
        [BASH, "-c", DYSNOMIA_PROCESS, "dysnomia", "activate", str(root)], cwd=cwd, env=environment,
        capture_output=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return [word.decode() for word in (record_dir / "argv").read_bytes().split(b"\0")[:-1]]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_daemon_values_reach_su_and_its_shell_byte_exact(
    value: str, recorder: Path, tmp_path: Path
) -> None:
    directory = tmp_path / f"dir {value}"
    directory.mkdir()
    process = managed(
        instanceName="x",
        daemon=str(recorder / "bin/record"),
        daemonArgs=[value, "plain", value],
        user=value,
        nice=value,
        directory=str(directory),
        path=[str(recorder)],
        environment={"HOSTILE": value},
    )
    output = generate(process, BackendSettings()).files
    check_script(wrapper_of(output, "x"), tmp_path, "warning")
    argv = run_wrapper(output, tmp_path / "out", tmp_path / "record", tmp_path)
    assert argv[:6] == ["nice", "-n", value, "su", value, "-c"] and len(argv) == 7
    assert (tmp_path / "record/env").read_text() == value
    # su hands the command to a shell: that shell must see exactly the daemon and its arguments.
    assert BASH is not None
    subprocess.run([BASH, "-c", argv[6]], cwd=directory, env={**os.environ, "RECORD_DIR": str(tmp_path / "record")}, check=True)
    assert (tmp_path / "record/argv").read_bytes().split(b"\0")[:-1] == [
        b"record", value.encode(), b"plain", value.encode()
    ]
    assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_foreground_values_reach_daemon_byte_exact(value: str, recorder: Path, tmp_path: Path) -> None:
    process = managed(
        name="x",
        foregroundProcess=f"/opt/{value}/x",
        foregroundProcessArgs=[value, "-n"],
        user=value,
        path=[str(recorder)],
        environment={"HOSTILE": value},
    )
    settings = BackendSettings(log_dir=f"/log/{value}", tmp_dir=f"/tmp/{value}")
    output = generate(process, settings, DisnixComposition(daemon=str(recorder / "bin/daemon"))).files
    check_script(wrapper_of(output, "x"), tmp_path, "warning")
    assert config_of(output, "x").split("\n", 1)[1] == "pidFile=" + shlex.quote(f"/tmp/{value}/x.pid") + "\n"
    assert run_wrapper(output, tmp_path / "out", tmp_path / "record", tmp_path) == [
        "daemon", "--unsafe", "--inherit", "--output", f"/tmp/{value}/nixproc-x.log",
        "--pidfile", f"/tmp/{value}/x.pid", "--user", value, "--", f"/opt/{value}/x", value, "-n",
    ]
    assert (tmp_path / "record/env").read_text() == value
    assert not list(tmp_path.rglob("pwned"))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_config_values_source_back_byte_exact(value: str, tmp_path: Path) -> None:
    output = generator("disnix").create({"name": "x", "process": f"/opt/{value}", "pidFile": f"/run/{value}"}, BackendSettings())
    write_output(output.files, tmp_path / "out")
    assert BASH is not None
    sourced = subprocess.run(
        [BASH, "-c", 'source "$1"/etc/dysnomia/process/x; printf "%s\\0%s" "$process" "$pidFile"', "sh", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, check=True,
    )
    assert sourced.stdout.split(b"\0") == [f"/opt/{value}".encode(), f"/run/{value}".encode()]
    assert not list(tmp_path.rglob("pwned"))


# Running for real -----------------------------------------------------------------------------


@pytest.fixture
def reaper() -> Iterator[Reaper]:
    """Marks the processes a test starts; kills each by PID at teardown."""
    reaper = Reaper()
    yield reaper
    reaper.kill_all()


def status_field(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def dysnomia(activity: str, component: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert BASH is not None, "bash is required"
    return subprocess.run(
        [BASH, "-c", DYSNOMIA_PROCESS, "dysnomia", activity, str(component)],
        cwd=cwd, capture_output=True, text=True, timeout=30,
    )


HOSTILE_RUN = "it's \"q\" $(touch pwned) `touch pwned` ${HOME}\nline two\t* ;&| 100%"
# Dysnomia reads the PID file with an unquoted `cat $pidFile`: quotes and `$` survive, blanks would not.
HOSTILE_PATH = "run'\"$(touch${IFS}pwned)`id`$HOME"


@pytest.mark.integration
@pytest.mark.parametrize("user", [None, "root"], ids=["no-user-switch", "through-real-su"])
def test_daemon_started_and_stopped_as_dysnomia_does(tmp_path: Path, reaper: Reaper, user: str | None) -> None:
    runtime_dir = tmp_path / HOSTILE_PATH
    runtime_dir.mkdir()
    directory = tmp_path / f"work {HOSTILE_RUN.splitlines()[0]}"
    directory.mkdir()
    port = free_port()
    pid_file = runtime_dir / "webapp.pid"
    process = managed(
        instanceName="webapp",
        daemon=sys.executable,
        daemonArgs=[str(WEBAPP), "--daemon", HOSTILE_RUN],
        directory=str(directory),
        umask="027",
        user=user,
        initialize=f"touch {shlex.quote(str(directory / 'initialized'))}",
        environment={"PORT": port, "PID_FILE": str(pid_file), "HOSTILE": HOSTILE_RUN, **reaper.environment()},
    )
    settings = BackendSettings(runtime_dir=str(runtime_dir), tmp_dir=str(runtime_dir))
    write_output(generate(process, settings).files, tmp_path / "out")
    assert dysnomia("pidfile", tmp_path / "out", tmp_path).stdout == str(pid_file)
    pid = None
    try:
        started = dysnomia("activate", tmp_path / "out", tmp_path)
        assert started.returncode == 0, started.stderr
        assert wait_for(lambda: read_pid(pid_file) is not None)
        pid = read_pid(pid_file)
        assert pid is not None and alive(pid)
        assert (directory / "initialized").exists()
        assert argv_of(pid) == [sys.executable.encode(), str(WEBAPP).encode(), b"--daemon", HOSTILE_RUN.encode()]
        assert environ_of(pid)[b"HOSTILE"] == HOSTILE_RUN.encode()
        assert Path(f"/proc/{pid}/cwd").resolve() == directory.resolve()
        assert status_field(pid, "Umask") == "0027"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert str(port) in response.read().decode()
        stopped = dysnomia("deactivate", tmp_path / "out", tmp_path)
        assert stopped.returncode == 0, stopped.stderr
        assert wait_for(lambda: not alive(pid))
        assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()
    finally:
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)


# Stays a shell (its argv intact) until TERM, which it passes on to its sleep.
SLEEPER = 'trap \'kill "$child"; exit 0\' TERM; printf "%s" "$HOSTILE"; sleep 60 & child=$!; wait'


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory every user may write to (pytest's own are private to root), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="nixproc-disnix-"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.integration
def test_foreground_process_daemonized_by_libslack_daemon_as_another_user(
    tmp_path: Path, shared_dir: Path, reaper: Reaper
) -> None:
    assert DAEMON is not None, "libslack daemon is required (Debian: apt-get install daemon)"
    nobody = pwd.getpwnam("nobody")
    process = managed(
        instanceName="sleeper",
        foregroundProcess="/bin/sh",
        foregroundProcessArgs=["-c", SLEEPER, "sh", HOSTILE_RUN],
        user="nobody",
        environment={"HOSTILE": HOSTILE_RUN, **reaper.environment()},
    )
    settings = BackendSettings(runtime_dir=str(shared_dir), log_dir=str(shared_dir), tmp_dir=str(shared_dir))
    write_output(generate(process, settings, DisnixComposition(daemon=DAEMON)).files, tmp_path / "out")
    pid_file = shared_dir / "sleeper.pid"
    pids: list[int] = []
    try:
        started = dysnomia("activate", tmp_path / "out", tmp_path)
        assert started.returncode == 0, started.stderr
        assert wait_for(lambda: read_pid(pid_file) is not None)
        daemon_pid = read_pid(pid_file)
        assert daemon_pid is not None
        pids.append(daemon_pid)
        # daemon stays the parent to log the client's output; the client is its child.
        children = Path(f"/proc/{daemon_pid}/task/{daemon_pid}/children")
        assert wait_for(lambda: children.read_text().strip() != "")
        client = int(children.read_text().split()[0])
        pids.append(client)
        # Right after the fork the child still shows daemon's own argv; it changes with the exec.
        expected = [b"/bin/sh", b"-c", SLEEPER.encode(), b"sh", HOSTILE_RUN.encode()]
        assert wait_for(lambda: argv_of(client) == expected)
        assert status_field(client, "Uid").split()[0] == str(nobody.pw_uid)
        assert environ_of(client)[b"HOSTILE"] == HOSTILE_RUN.encode()
        log_file = shared_dir / "nixproc-sleeper.log"
        assert wait_for(lambda: log_file.exists() and log_file.read_bytes() == HOSTILE_RUN.encode())
        stopped = dysnomia("deactivate", tmp_path / "out", tmp_path)
        assert stopped.returncode == 0, stopped.stderr
        assert wait_for(lambda: not alive(daemon_pid) and not alive(client))
        assert not list(tmp_path.rglob("pwned")) and not list(shared_dir.rglob("pwned"))
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# Readiness: the wrapper runs nixproc-wait-ready after the start, so Dysnomia's activation waits for it.

def readiness_component(tmp_path: Path, reaper: Reaper, delay: float, **readiness: Any) -> tuple[Path, int]:
    """A server daemonized by libslack's daemon, listening after ``delay`` seconds; its ``readiness`` checks its
    port unless told otherwise."""
    port = free_port()
    process = managed(instanceName="server", **delayed_server(port, delay, reaper.environment(), **readiness))
    settings = BackendSettings(runtime_dir=str(tmp_path), log_dir=str(tmp_path), tmp_dir=str(tmp_path))
    write_output(generate(process, settings).files, tmp_path / "out")
    return tmp_path / "out", port


def wrapper_of_files(component: Path, name: str) -> str:
    return (component / f"bin/{name}-process-wrapper").read_text()


@pytest.mark.integration
def test_activation_ends_once_the_process_is_ready(tmp_path: Path, reaper: Reaper) -> None:
    assert DAEMON is not None, "libslack's daemon is required (Debian: daemon)"
    component, port = readiness_component(tmp_path, reaper, delay=1.5, timeout=20)
    assert "\nexec " not in wrapper_of_files(component, "server")
    begun = time.monotonic()
    started = dysnomia("activate", component, tmp_path)
    assert started.returncode == 0, started.stderr
    assert time.monotonic() - begun >= 1.5 and accepts(port)
    assert dysnomia("deactivate", component, tmp_path).returncode == 0


@pytest.mark.integration
def test_activation_fails_when_the_process_never_gets_ready(tmp_path: Path, reaper: Reaper) -> None:
    assert DAEMON is not None, "libslack's daemon is required (Debian: daemon)"
    component, port = readiness_component(tmp_path, reaper, delay=0, tcpPort=free_port(), timeout=1)
    started = dysnomia("activate", component, tmp_path)
    assert started.returncode == 1
    assert started.stderr.strip().splitlines()[-1].startswith("error: process 'server' was not ready after 1 s")
    assert wait_for(lambda: accepts(port)), "the process runs: Disnix deactivates it when it rolls back"
    assert dysnomia("deactivate", component, tmp_path).returncode == 0


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_readiness_values_reach_the_check_exactly(value: str, tmp_path: Path) -> None:
    assert BASH is not None, "bash is required"
    record = tmp_path / "check.json"
    recorder = tmp_path / "wait-ready"
    recorder.write_text(f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n")
    recorder.chmod(0o755)
    process = managed(name="checked", daemon="/bin/true", readiness={"command": [f"/opt/{value}/check", value]})
    script = wrapper_of(generate(process, BackendSettings(), DisnixComposition(wait_ready=str(recorder))).files,
                        "checked")
    check_script(script, tmp_path, severity="warning")
    ran = subprocess.run([BASH, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(record.read_text()) == [
        "--name", "checked", "--timeout", "30", "--interval", "0.5", "--", f"/opt/{value}/check", value]
    assert not list(tmp_path.rglob("pwned"))


def test_without_readiness_the_start_is_execd() -> None:
    script = wrapper_of(generate(managed(name="plain", foregroundProcess="/bin/sleep"), BackendSettings()).files,
                        "plain")
    assert script.rstrip("\n").splitlines()[-1].startswith("exec ") and "nixproc-wait-ready" not in script
