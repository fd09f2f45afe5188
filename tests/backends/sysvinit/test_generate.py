"""The sysvinit generator (SPEC §3.1): script layout, rc links, overrides, and hostile values run for real.

The runtime tests start processes through the generated script with our own
init functions library and libslack's ``daemon``; every process they start
carries a marker in its environment and is killed by PID at teardown.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backend_checks import accepts, argv_of, delayed_server, free_port

from nixproc_disnix.backends.common.backend import Dependency, generator
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink, in_output, write_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.sysvinit.generate import (
    INIT_FUNCTIONS_FILE,
    SysvinitComposition,
    generate,
    init_functions_library,
    sequence,
    sysvinit_params,
)
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

BASH = shutil.which("bash")
WEBAPP = Path(__file__).resolve().parents[3] / "examples/webapps-agnostic/webapp/webapp.py"

HOSTILE = [
    "it's",
    '"double" quotes',
    "$HOME ${HOME} $(touch pwned) `touch pwned`",
    "new\nline\n",
    "spaces  and\ttab",
    "back\\slash\\",
    "semi; colon && pipe | amp & > redirect",
    "*glob? [x] ~tilde !bang",
    "-n",
    "",
]

def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "sysvinit")


def script_of(output: dict[str, GeneratedFile | Symlink], name: str) -> str:
    entry = output[f"etc/rc.d/init.d/{name}"]
    assert isinstance(entry, GeneratedFile) and entry.executable
    return entry.content


def bash_syntax_ok(script: str) -> None:
    assert BASH is not None, "bash is required"
    result = subprocess.run([BASH, "-n"], input=script, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def branch(script: str, activity: str) -> list[str]:
    """The lines of one ``case`` branch (without the pattern line and ``;;``)."""
    lines = script.split("\n")
    start = lines.index(f"{activity})") + 1
    return lines[start : lines.index(";;", start)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def environ_of(pid: int) -> dict[bytes, bytes]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.split(b"=", 1) for entry in entries if b"=" in entry)


# Layout and syntax -------------------------------------------------------------------


def test_webapp_script_layout_and_syntax() -> None:
    process = managed(
        instanceName="webapp",
        process="/nix/store/x-webapp/bin/webapp",
        daemonArgs=["-D"],
        description="Simple web application",
        user="webapp",
        environment={"PORT": 5000},
        path=["/nix/store/y-coreutils"],
        overrides={"sysvinit": {"runlevels": [3, 4, 5]}},
    )
    output = generate(process, BackendSettings(tmp_dir="/T")).files
    script = script_of(output, "webapp")
    bash_syntax_ok(script)
    assert script.startswith(
        "#! /bin/bash\n\n## BEGIN INIT INFO\n"
        "# Provides:      webapp\n"
        "# Default-Start: 3 4 5\n"
        "# Default-Stop:  0 1 2 6\n"
        "# Description:   Simple web application\n"
        "## END INIT INFO\n\n"
        f". {in_output('lib/services/init-functions')}\n"
    )
    assert output[INIT_FUNCTIONS_FILE] == GeneratedFile(init_functions_library())
    assert "export PATH='/nix/store/y-coreutils/bin':$PATH\nexport PORT='5000'\n\ncase \"$1\" in\n" in script
    start = branch(script, "start")
    assert start[0] == "log_info_msg 'Starting Simple web application...'"
    assert shlex.split(start[1]) == [
        "start_daemon", "-f", "-p", "/T/webapp.pid", "su", "webapp", "-c", "/nix/store/x-webapp/bin/webapp -D"
    ]
    assert start[2] == "evaluate_retval"
    assert branch(script, "stop")[1] == "killproc -p /T/webapp.pid /nix/store/x-webapp/bin/webapp"
    assert branch(script, "reload")[1] == "killproc -p /T/webapp.pid /nix/store/x-webapp/bin/webapp -HUP"
    assert branch(script, "status") == ["statusproc -p /T/webapp.pid /nix/store/x-webapp/bin/webapp"]
    assert branch(script, "*") == ["echo \"Usage: $0\" '{start|stop|reload|restart|status}'", "exit 1"]
    patterns = [line[:-1] for line in script.split("\n") if re.fullmatch(r"[a-z*]+\)", line)]
    assert patterns == ["start", "stop", "reload", "restart", "status", "*"]


def test_foreground_only_process_is_daemonized_with_output_log() -> None:
    process = managed(name="nginx", foregroundProcess="/bin/nginx", foregroundProcessArgs=["-g", "daemon off;"])
    script = script_of(generate(process, BackendSettings()).files, "nginx")
    bash_syntax_ok(script)
    assert shlex.split(branch(script, "start")[1]) == [
        "daemon", "--unsafe", "--inherit", "--output", "/var/log/nixproc-nginx.log",
        "--pidfiles", "/var/run", "--name", "$(basename /bin/nginx)", "--", "/bin/nginx", "-g", "daemon off;",
    ]


def test_daemon_is_preferred_and_nice_goes_to_start_daemon() -> None:
    process = managed(instanceName="w", process="/bin/w", nice=5, umask="022", directory="/srv/w")
    script = script_of(generate(process, BackendSettings()).files, "w")
    assert "\numask 022\n" in script
    assert branch(script, "start")[1:3] == ["cd /srv/w", "start_daemon -f -p /var/run/w.pid -n 5 /bin/w"]


def test_user_changes_disabled_keep_the_pid_dir_of_the_declared_user() -> None:
    process = managed(instanceName="w", foregroundProcess="/bin/w", user="w")
    script = script_of(generate(process, BackendSettings(force_disable_user_change=True)).files, "w")
    assert shlex.split(branch(script, "start")[1]) == [
        "daemon", "--unsafe", "--inherit", "--output", "/var/log/nixproc-w.log", "--pidfile", "/tmp/w.pid",
        "--", "/bin/w",
    ]


def test_no_process_means_only_usage() -> None:
    output = generate(managed(name="empty"), BackendSettings()).files
    script = script_of(output, "empty")
    bash_syntax_ok(script)
    assert branch(script, "*") == ["echo \"Usage: $0\" '{}'", "exit 1"]
    assert "start)" not in script


def test_name_errors() -> None:
    with pytest.raises(ThrownError, match="No process name"):
        generate(managed(name="x", overrides={"sysvinit": lambda args: {**args, "name": None}}), BackendSettings()).files
    with pytest.raises(EvalError, match="cannot name a file"):
        generate(managed(name="a/b", process="/bin/x"), BackendSettings()).files
    with pytest.raises(EvalError, match="not a valid shell variable name"):
        generate(managed(name="x", environment={"A B": "1"}), BackendSettings()).files


# Runlevels, sequence numbers, dependencies, credentials ------------------------------------


def test_runlevel_links_and_sequence_numbers(tmp_path: Path) -> None:
    webapp = managed(instanceName="webapp", process="/bin/webapp", overrides={"sysvinit": {"runlevels": [5, 3, 4]}})
    webapp_sequence = sequence(sysvinit_params(webapp))
    assert webapp_sequence == 0
    nginx = managed(name="nginx", process="/bin/nginx", overrides={"sysvinit": {"runlevels": [3, 4, 5]}})
    nginx = nginx.model_copy(update={"dependencies": [Dependency("webapp", passthru={"sequence": webapp_sequence})]})
    assert sequence(sysvinit_params(nginx)) == 1

    output = generate(nginx, BackendSettings()).files
    links = {path: entry.target for path, entry in output.items() if isinstance(entry, Symlink)}
    assert links == {
        **{f"etc/rc.d/rc{level}.d/S01nginx": "../init.d/nginx" for level in (3, 4, 5)},
        **{f"etc/rc.d/rc{level}.d/K98nginx": "../init.d/nginx" for level in (0, 1, 2, 6)},
    }
    script = script_of(output, "nginx")
    assert "# Should-Start:  webapp\n# Should-Stop:   webapp\n" in script

    write_output(output, tmp_path)
    link = tmp_path / "etc/rc.d/rc3.d/S01nginx"
    assert link.resolve() == (tmp_path / "etc/rc.d/init.d/nginx").resolve()
    assert os.access(link, os.X_OK)


def test_default_start_and_stop_verbatim_without_runlevels() -> None:
    process = managed(
        name="x", process="/bin/x", overrides={"sysvinit": {"defaultStart": [2], "defaultStop": [0, 6]}}
    )
    output = generate(process, BackendSettings()).files
    assert sorted(path for path, entry in output.items() if isinstance(entry, Symlink)) == [
        "etc/rc.d/rc0.d/K99x", "etc/rc.d/rc2.d/S00x", "etc/rc.d/rc6.d/K99x",
    ]
    assert "# Default-Start: 2\n# Default-Stop:  0 6\n" in script_of(output, "x")
    assert not any(isinstance(entry, Symlink) for entry in generate(managed(name="y"), BackendSettings()).files.values())


def test_sequence_numbers_after_ten_and_composition_bounds() -> None:
    process = managed(name="z", process="/bin/z", overrides={"sysvinit": {"runlevels": [3]}})
    process = process.model_copy(update={"dependencies": [Dependency("a", passthru={"sequence": 3}), Dependency("b", passthru={"sequence": 11})]})
    paths = set(generate(process, BackendSettings(), SysvinitComposition(supported_runlevels=(2, 3))).files)
    assert paths >= {"etc/rc.d/rc3.d/S12z", "etc/rc.d/rc2.d/K87z"}


def test_dysnomia_support_files() -> None:
    process = managed(
        name="webapp",
        credentials={"groups": {"webapp": {}}, "users": {"webapp": {"group": "webapp", "description": "Webapp"}}},
    )
    output = generate(process, BackendSettings()).files
    assert output["dysnomia-support/groups/webapp"] == GeneratedFile("\n")
    assert output["dysnomia-support/users/webapp"] == GeneratedFile("description='Webapp'\ngroup='webapp'\n\n")


# Overrides ------------------------------------------------------------------------------


def test_overrides_merge_into_generated_parameters() -> None:
    process = managed(
        name="x",
        process="/bin/x",
        environment={"A": "1"},
        overrides={
            "sysvinit": {
                "environment": {"B": "2"},
                "reloadSignal": "-USR1",
                "instructions": {"start": {"activity": "Launching", "instruction": "echo launched"}},
                "activities": {"hello": "echo hi", "status": "echo fine"},
                "removeActivities": ["restart"],
                "globalInstructions": "ulimit -n 1024",
            }
        },
    )
    script = script_of(generate(process, BackendSettings()).files, "x")
    bash_syntax_ok(script)
    assert "export A='1'\nexport B='2'\n" in script
    assert "\nulimit -n 1024\n" in script
    assert branch(script, "start") == ["log_info_msg 'Launching x...'", "echo launched", "evaluate_retval"]
    assert branch(script, "reload")[1] == "killproc /bin/x -USR1"
    assert branch(script, "status") == ["echo fine"]
    assert branch(script, "hello") == ["echo hi"]
    assert "restart)" not in script
    assert branch(script, "*")[0] == "echo \"Usage: $0\" '{start|stop|reload|status|hello}'"


def test_function_override_sees_generated_parameters() -> None:
    seen: dict[str, Any] = {}

    def override(args: dict[str, Any]) -> dict[str, Any]:
        seen.update(args)
        return {**args, "processIsDaemon": False}

    process = managed(instanceName="x", process="/bin/x", overrides={"sysvinit": override})
    script = script_of(generate(process, BackendSettings()).files, "x")
    assert seen["process"] == "/bin/x" and seen["processIsDaemon"] is True and "pidFile" not in seen
    assert branch(script, "start")[1].startswith("daemon --unsafe --inherit")


def test_unknown_override_parameter_is_refused() -> None:
    process = managed(name="x", process="/bin/x", overrides={"sysvinit": {"runLevels": [3]}})
    with pytest.raises(EvalError, match="sysvinit parameters of process 'x': runLevels"):
        generate(process, BackendSettings()).files


# Hostile values --------------------------------------------------------------------------


RECORDED_COMMANDS = ("log_info_msg", "evaluate_retval", "start_daemon", "killproc", "statusproc", "cd", "daemon")


@pytest.fixture
def recorder(tmp_path: Path) -> SysvinitComposition:
    """Init functions that only record each command's words (NUL-separated, one command per \\1)."""
    stubs = tmp_path / "recording-init-functions"
    stubs.write_text(
        "".join(f"{command}() {{ printf '%s\\0' {command} \"$@\"; printf '\\1'; }}\n" for command in RECORDED_COMMANDS)
    )
    return SysvinitComposition(init_functions=str(stubs))


def recorded_commands(script: str, activity: str, tmp_path: Path) -> list[list[str]]:
    """The commands one activity runs, as words, by running it in real bash against recording stubs."""
    assert BASH is not None, "bash is required"
    path = tmp_path / "script"
    path.write_text(script)
    result = subprocess.run([BASH, str(path), activity], cwd=tmp_path, capture_output=True, check=True)
    return [[word.decode() for word in command.split(b"\0")[:-1]] for command in result.stdout.split(b"\1")[:-1]]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_single_words(value: str, recorder: SysvinitComposition, tmp_path: Path) -> None:
    process = managed(
        instanceName="x",
        process=f"/opt/{value}/bin/x",
        daemonArgs=[value, "plain"],
        user=value,
        description=value,
        directory=f"/srv/{value}",
        pidFile=f"/run/{value}.pid",
        environment={"HOSTILE": value},
        overrides={"sysvinit": {"reloadSignal": value}},
    )
    script = script_of(generate(process, BackendSettings(), recorder).files, "x")
    bash_syntax_ok(script)
    assert "\n# Description:   " + " ".join(value.splitlines()) + "\n" in script
    start = recorded_commands(script, "start", tmp_path)
    assert start[:2] == [["log_info_msg", f"Starting {value}..."], ["cd", f"/srv/{value}"]]
    assert start[2][:6] == ["start_daemon", "-f", "-p", f"/run/{value}.pid", "su", value]
    assert start[2][6] == "-c" and shlex.split(start[2][7]) == [f"/opt/{value}/bin/x", value, "plain"]
    assert len(start[2]) == 8 and start[3] == ["evaluate_retval"]
    assert recorded_commands(script, "reload", tmp_path)[1] == [
        "killproc", "-p", f"/run/{value}.pid", f"/opt/{value}/bin/x", value
    ]
    environment = subprocess.run(
        [BASH, "-c", script.split("\ncase ")[0] + '\nprintf %s "$HOSTILE"'], cwd=tmp_path, capture_output=True, text=True
    )
    assert environment.stdout == value


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_foreground_values_stay_single_words(
    value: str, recorder: SysvinitComposition, tmp_path: Path
) -> None:
    process = managed(name="x", foregroundProcess=f"/opt/{value}/x", foregroundProcessArgs=[value], user=value)
    settings = BackendSettings(log_dir=f"/log/{value}", tmp_dir=f"/tmp/{value}")
    script = script_of(generate(process, settings, recorder).files, "x")
    bash_syntax_ok(script)
    assert recorded_commands(script, "start", tmp_path)[1] == [
        "daemon", "--unsafe", "--inherit", "--output", f"/tmp/{value}/nixproc-x.log",
        "--pidfiles", f"/tmp/{value}", "--name", "x", "--user", value, "--", f"/opt/{value}/x", value,
    ]


def test_hostile_activity_names_are_literal_case_patterns() -> None:
    script = script_of(
        generate(managed(name="x", overrides={"sysvinit": {"activities": {"a|b": "echo one", "$(x)": "echo two"}}}), BackendSettings()).files,
        "x",
    )
    bash_syntax_ok(script)
    assert "\n'$(x)')\necho two\n;;\n'a|b')\necho one\n;;\n" in script


# Running the script ----------------------------------------------------------------------


@pytest.fixture
def marker() -> Iterator[str]:
    """A unique environment value; at teardown every process carrying it is killed by PID."""
    token = uuid.uuid4().hex
    yield token
    needle = f"NIXPROC_TEST_MARKER={token}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in entry.joinpath("environ").read_bytes().split(b"\0"):
                    os.kill(int(entry.name), signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, SysvinitComposition]:
    """A hostile-looking directory holding a copy of our init functions, which the script sources from there."""
    root = tmp_path / "ma chine $(touch pwned) `touch pwned` 'q'"
    root.mkdir()
    (root / "init-functions").write_text(init_functions_library())
    return root, SysvinitComposition(init_functions=str(root / "init-functions"))


def run_activity(script: Path, activity: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert BASH is not None, "bash is required"
    return subprocess.run([BASH, str(script), activity], cwd=cwd, capture_output=True, text=True, timeout=30)


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        return None


def test_start_and_stop_a_daemon_with_hostile_values(
    tmp_path: Path, machine: tuple[Path, SysvinitComposition], marker: str
) -> None:
    root, composition = machine
    hostile = "it's \"q\" $(touch pwned) `touch pwned` ${HOME}\nline two\t* ;&|"
    runtime_dir = root / f"run {hostile.splitlines()[0]}"
    runtime_dir.mkdir()
    port = free_port()
    process = managed(
        instanceName="webapp",
        daemon=sys.executable,
        daemonArgs=[str(WEBAPP), "--daemon", hostile],
        description=hostile,
        user=hostile,
        directory=str(root),
        environment={
            "PORT": port,
            "PID_FILE": str(runtime_dir / "webapp.pid"),
            "HOSTILE": hostile,
            "NIXPROC_TEST_MARKER": marker,
        },
    )
    # The declared user keeps PID files in tmpDir; the switch itself is disabled.
    settings = BackendSettings(runtime_dir=str(runtime_dir), tmp_dir=str(runtime_dir), force_disable_user_change=True)
    output = generate(process, settings, composition).files
    write_output(output, root / "out")
    script = root / "out/etc/rc.d/init.d/webapp"
    pid_file = runtime_dir / "webapp.pid"
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    pid = None
    try:
        started = run_activity(script, "start", workdir)
        assert started.returncode == 0, started.stderr
        assert wait_for(lambda: read_pid(pid_file) is not None)
        pid = read_pid(pid_file)
        assert pid is not None and alive(pid)
        environ = environ_of(pid)
        assert environ[b"HOSTILE"] == hostile.encode()
        assert argv_of(pid)[-1:] == [hostile.encode()]
        assert Path(f"/proc/{pid}/cwd").resolve() == root.resolve()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert str(port) in response.read().decode()
        assert run_activity(script, "status", workdir).returncode == 0
        stopped = run_activity(script, "stop", workdir)
        assert stopped.returncode == 0, stopped.stderr
        assert wait_for(lambda: not alive(pid))
        assert not pid_file.exists()
        assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()
    finally:
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)


def children_of(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def test_foreground_process_is_daemonized_by_libslack_daemon_with_the_shipped_library(
    tmp_path: Path, marker: str
) -> None:
    """The default composition end to end: the script sources the library of its own output.

    libslack's ``daemon`` refuses PID file paths with unusual characters, so
    the directories are plain here; hostile words go through arguments and
    environment.
    """
    assert shutil.which("daemon"), "libslack daemon is required (Debian: apt-get install daemon)"
    hostile = "$(touch pwned) 'x' \"y\"\nz `touch pwned`"
    runtime_dir = tmp_path / "run"
    log_dir = tmp_path / "log"
    runtime_dir.mkdir()
    log_dir.mkdir()
    process = managed(
        instanceName="sleeper",
        foregroundProcess=sys.executable,
        foregroundProcessArgs=["-c", "import os, time; print(os.environ['HOSTILE'], flush=True); time.sleep(30)", hostile],
        environment={"HOSTILE": hostile, "NIXPROC_TEST_MARKER": marker},
    )
    settings = BackendSettings(runtime_dir=str(runtime_dir), log_dir=str(log_dir), tmp_dir=str(runtime_dir))
    write_output(generate(process, settings).files, tmp_path / "out")
    script = tmp_path / "out/etc/rc.d/init.d/sleeper"
    assert f". {tmp_path / 'out' / INIT_FUNCTIONS_FILE}\n" in script.read_text()
    pid_file = runtime_dir / "sleeper.pid"
    started_pids: list[int] = []
    try:
        started = run_activity(script, "start", tmp_path)
        assert started.returncode == 0, started.stderr
        assert started.stdout.startswith("Starting sleeper... [  OK  ]")
        assert wait_for(lambda: read_pid(pid_file) is not None)
        supervisor = read_pid(pid_file)
        assert supervisor is not None and alive(supervisor)
        started_pids.append(supervisor)
        assert wait_for(lambda: bool(children_of(supervisor)))
        client = children_of(supervisor)[0]
        started_pids.append(client)
        assert wait_for(lambda: argv_of(client)[-1:] == [hostile.encode()])
        assert environ_of(client)[b"HOSTILE"] == hostile.encode()
        log_file = log_dir / "nixproc-sleeper.log"
        assert wait_for(lambda: log_file.exists() and log_file.read_text() == hostile + "\n")
        assert run_activity(script, "status", tmp_path).stdout.startswith("python")
        stopped = run_activity(script, "stop", tmp_path)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert wait_for(lambda: not alive(client) and not alive(supervisor))
        assert not pid_file.exists()
        assert run_activity(script, "status", tmp_path).returncode == 3
        assert not list(tmp_path.rglob("pwned"))
    finally:
        for pid in started_pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_registry_and_native_create_agree_with_generate() -> None:
    process = managed(name="w", process="/bin/w", dependencies=[])
    through_registry = generator("sysvinit").generate(process, BackendSettings())
    assert through_registry.name == "w" and through_registry.passthru == {"sequence": 0}
    native = generator("sysvinit").create({"name": "w", "process": "/bin/w"}, BackendSettings())
    assert native.files == through_registry.files


def test_dependency_from_another_backend_has_no_sequence() -> None:
    process = managed(name="x", process="/bin/x").model_copy(update={"dependencies": [Dependency("other")]})
    with pytest.raises(ThrownError, match="attribute 'sequence' missing in dependency 'other'"):
        generate(process, BackendSettings())


# Readiness -------------------------------------------------------------------------------

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")
"""Runs the server under libslack's daemon, whose argv[0] leaves a relocated Python without its library."""


def test_readiness_gates_only_the_start_activity() -> None:
    composition = SysvinitComposition(wait_ready="/opt/bin/nixproc-wait-ready")
    plain = script_of(generate(managed(name="x", process="/bin/x"), BackendSettings(), composition).files, "x")
    ready = script_of(generate(managed(name="x", process="/bin/x", readiness={"http": "http://127.0.0.1:80/"}),
                               BackendSettings(), composition).files, "x")
    assert branch(ready, "start")[-1] == (
        "evaluate_retval && /opt/bin/nixproc-wait-ready --name x --timeout 30 --interval 0.5 --http http://127.0.0.1:80/"
    )
    assert ready.replace(" && " + branch(ready, "start")[-1].split(" && ", 1)[1], "") == plain


def test_log_line_readiness_reads_the_daemonizer_output() -> None:
    settings = BackendSettings(log_dir="/L")
    daemonized = script_of(generate(managed(name="x", foregroundProcess="/bin/x", readiness={"logLine": "^up$"}),
                                    settings).files, "x")
    assert branch(daemonized, "start")[-1].endswith(" --log-line '^up$' --log-file /L/nixproc-x.log")
    # A daemon keeps its output where it wants: the switch checks that.
    own_daemon = managed(name="x", process="/bin/x", readiness={"logLine": "^up$"})
    assert script_of(generate(own_daemon, settings).files, "x") == script_of(
        generate(managed(name="x", process="/bin/x"), settings).files, "x"
    )


def test_readiness_is_a_native_parameter_overrides_can_change() -> None:
    process = managed(name="x", process="/bin/x", readiness={"tcpPort": 80},
                      overrides={"sysvinit": {"readiness": {"timeout": 90}}})
    assert sysvinit_params(process).readiness is not None and sysvinit_params(process).readiness.timeout == 90
    assert " --timeout 90 " in branch(script_of(generate(process, BackendSettings()).files, "x"), "start")[-1]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_readiness_command_stays_single_words(
    value: str, recorder: SysvinitComposition, tmp_path: Path
) -> None:
    stubs = Path(str(recorder.init_functions))
    stubs.write_text(stubs.read_text() + "wait_ready() { printf '%s\\0' wait_ready \"$@\"; printf '\\1'; }\n")
    composition = SysvinitComposition(init_functions=str(stubs), wait_ready="wait_ready")
    process = managed(name="x", process="/bin/x", readiness={"command": [f"/opt/{value}/check", value, "-n"]})
    script = script_of(generate(process, BackendSettings(), composition).files, "x")
    bash_syntax_ok(script)
    assert recorded_commands(script, "start", tmp_path)[-1] == [
        "wait_ready", "--name", "x", "--timeout", "30", "--interval", "0.5", "--", f"/opt/{value}/check", value, "-n"
    ]


def readiness_server(tmp_path: Path, marker: str, delay: float, **readiness: Any) -> tuple[Path, int]:
    """The script of a foreground server, daemonized by libslack's daemon, that listens after ``delay``
    seconds; its ``readiness`` checks its port unless another ``tcpPort`` is given."""
    assert SYSTEM_PYTHON is not None, "python3 is required in /usr/bin"
    port = free_port()
    for directory in ("run", "log"):
        (tmp_path / directory).mkdir()
    process = managed(name="server",
                      **delayed_server(port, delay, {"NIXPROC_TEST_MARKER": marker}, SYSTEM_PYTHON, **readiness))
    settings = BackendSettings(runtime_dir=str(tmp_path / "run"), log_dir=str(tmp_path / "log"),
                               tmp_dir=str(tmp_path / "run"))
    write_output(generate(process, settings).files, tmp_path / "out")
    return tmp_path / "out/etc/rc.d/init.d/server", port


def test_start_returns_once_the_process_is_ready(tmp_path: Path, marker: str) -> None:
    script, port = readiness_server(tmp_path, marker, delay=1.5, timeout=20)
    begun = time.monotonic()
    started = run_activity(script, "start", tmp_path)
    assert started.returncode == 0, started.stdout + started.stderr
    assert time.monotonic() - begun >= 1.5 and accepts(port)
    assert started.stdout == "Starting server... [  OK  ]\n" and started.stderr == ""
    assert run_activity(script, "stop", tmp_path).returncode == 0


def test_start_fails_when_the_process_is_not_ready_in_time(tmp_path: Path, marker: str) -> None:
    other = free_port()
    script, _ = readiness_server(tmp_path, marker, delay=0, tcpPort=other, timeout=1)
    started = run_activity(script, "start", tmp_path)
    assert started.returncode == 1
    assert started.stdout == "Starting server... [  OK  ]\n"
    assert started.stderr == (f"error: process 'server' was not ready after 1 s "
                              f"(TCP port {other} on 127.0.0.1 not accepting connections)\n")
    assert run_activity(script, "stop", tmp_path).returncode == 0
