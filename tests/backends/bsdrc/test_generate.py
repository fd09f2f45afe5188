"""The bsdrc generator (SPEC §3.2): script layout, overrides, and hostile values run through a stand-in rc.subr.

FreeBSD's rc.subr (and its ``daemon(8)``, ``su`` and ``limits``) cannot run
here. The scripts are checked with ``sh -n``, ``bash -n`` and ``shellcheck
-s sh``, and then run for real against STAND-INS written for these tests:
an rc.subr implementing ``load_rc_config``, ``checkyesno`` and
``run_rc_command`` (start, stop, status, command hooks) the way FreeBSD's
does it, in particular building the start command as a string and
``eval``-ing it, wrapped in ``sh -c "…"`` for a nice level and in ``su -m
USER -c 'sh -c "…"'`` for a user; a ``su`` that runs its command through
``/bin/sh -c`` as su does, without switching users; and a ``daemon(8)``
with ``-p``/``-o``. So a hostile argument passes exactly the evaluations it
would on FreeBSD, and what reaches the process is compared byte for byte.
Every process a test starts carries a marker in its environment and is
killed by PID at teardown.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from backend_checks import HOSTILE as COMMON_HOSTILE
from backend_checks import Reaper, accepts, alive, argv_of, delayed_server, free_port, read_pid, wait_for
from golden_files import assert_matches_golden

from nixproc_disnix.backends.bsdrc.generate import BSDRCComposition, bsdrc_params, generate
from nixproc_disnix.backends.common.backend import Dependency, generator
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile, write_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

GOLDEN = Path(__file__).parent / "golden"
WEBAPP = Path(__file__).resolve().parents[3] / "examples/webapps-agnostic/webapp/webapp.py"

HOSTILE = [*COMMON_HOSTILE, "'\\''", '"\'"', "{a,b} }"]
"""The shared hostile values, plus quote sequences aimed at rc.subr's nested ``'sh -c "…"'``."""

STAND_INS = Path(__file__).parent / "stand_ins"
STAND_IN_RC_SUBR = (STAND_INS / "rc.subr").read_text()
STAND_IN_SU = (STAND_INS / "su").read_text()
STAND_IN_DAEMON = (STAND_INS / "daemon.py").read_text()
"""The stand-ins for FreeBSD's rc.subr, su and daemon(8) (see the module docstring), shared with the switch tests."""

# Records what reached the process: its arguments, the HOSTILE_* variables, its directory and nice level.
RECORDER = (
    "import json, os, sys; json.dump({'argv': sys.argv[2:], 'cwd': os.getcwd(), 'nice': os.nice(0), "
    "'env': {k: v for k, v in os.environ.items() if k.startswith('HOSTILE')}}, open(sys.argv[1], 'w'))"
)


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "bsdrc")


def script_of(output: Any, name: str) -> str:
    entry = output[f"etc/rc.d/{name}"]
    assert isinstance(entry, GeneratedFile) and entry.executable
    return str(entry.content)


def check_syntax(script: str) -> None:
    """``sh -n``, ``bash -n`` and shellcheck as POSIX sh.

    SC2034 ("appears unused") is excluded: an rc script's variables are read
    by the rc.subr it sources, which shellcheck does not see.
    """
    for shell in ("sh", "bash"):
        result = subprocess.run([shell, "-n"], input=script, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    result = subprocess.run(
        ["shellcheck", "-s", "sh", "-S", "warning", "-e", "SC2034", "-"], input=script, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


SETTINGS = BackendSettings(tmp_dir="T")


def webapp(**extra: Any) -> ManagedProcess:
    """The running example of SPEC §3: the webapp of §1.4 as instance ``webapp``."""
    return managed(**{
        "instanceName": "webapp",
        "process": "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-webapp/bin/webapp",
        "daemonArgs": ["-D"],
        "description": "Simple web application",
        "user": "webapp",
        "environment": {"PORT": 5000, "PID_FILE": "T/webapp.pid"},
        "credentials": {"groups": {"webapp": {}}, "users": {"webapp": {"group": "webapp", "description": "Webapp"}}},
        **extra,
    })


# Layout and golden outputs -------------------------------------------------------------


def test_webapp_script_matches_spec_and_golden() -> None:
    generated = generate(webapp(), SETTINGS)
    assert generated.name == "webapp"
    assert_matches_golden(generated.files, GOLDEN / "webapp")
    script = script_of(generated.files, "webapp")
    check_syntax(script)
    assert script == (
        "#!/bin/sh\n# PROVIDE: webapp\n. /etc/rc.subr\n\nname=\"webapp\"\nrcvar=${name}_enabled\n\n"
        "load_rc_config $name\n\ncommand=/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-webapp/bin/webapp\n"
        "command_args=\"'-D'\"\npidfile=\"T/webapp.pid\"\nwebapp_user=webapp\n"
        f"webapp_env_file={OUT_PLACEHOLDER}/share/bsdrc/webapp-envfile\n\nrun_rc_command \"$1\"\n"
    )
    assert generated.files["share/bsdrc/webapp-envfile"] == GeneratedFile("PID_FILE='T/webapp.pid'\nPORT='5000'\n")


def test_dependent_script_matches_golden() -> None:
    nginx = managed(
        instanceName="nginx",
        foregroundProcess="/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nginx/bin/nginx",
        args=["-p", "/var/nginx", "-c", "/nix/store/cccccccccccccccccccccccccccccccc-nginx.conf"],
        foregroundProcessExtraArgs=["-g", "daemon off;"],
        initialize="mkdir -p /var/nginx/logs\nchown nginx:nginx /var/nginx/logs\n",
        user="nginx",
        path=["/nix/store/dddddddddddddddddddddddddddddddd-nginx"],
        umask="022",
        nice=5,
        directory="/var/nginx",
        overrides={"bsdrc": {"keywords": ["shutdown"], "requires": ["NETWORKING"]}},
    ).model_copy(update={"dependencies": [Dependency("webapp")]})
    generated = generate(nginx, SETTINGS)
    assert_matches_golden(generated.files, GOLDEN / "nginx")
    script = script_of(generated.files, "nginx")
    check_syntax(script)
    assert "# PROVIDE: nginx\n# REQUIRE: webapp NETWORKING\n# KEYWORD: shutdown\n" in script
    assert "\ncommand=/usr/sbin/daemon\nprocname=/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nginx/bin/nginx\n" in script
    assert "\nstart_precmd=${name}_prestart\n" in script
    assert "\nnginx_prestart()\n{\nmkdir -p /var/nginx/logs\nchown nginx:nginx /var/nginx/logs\n}\n" in script


def test_defaults_commands_and_signals_from_overrides() -> None:
    process = managed(
        name="svc",
        process="/bin/svc",
        overrides={
            "bsdrc": {
                "rcvarsDefaults": {"flags": 'a "b" $c `d` }', "enable": "NO"},
                "commands": {"hello": {"implementation": "echo hi"}, "stop": {"post": ""}},
                "reloadSignal": "USR1",
                "stopSignal": "INT",
                "requiredFiles": ["/etc/a", "/etc/b"],
                "flexibleParameters": True,
                "rcvar": "enable",
                "fib": 1,
                "limits": "-n 1024",
                "loginClass": "daemon",
                "oomProtect": "YES",
            }
        },
    )
    script = script_of(generate(process, SETTINGS).files, "svc")
    check_syntax(script)
    assert "\nrcvar=${name}_enable\n" in script
    assert '\n: "${svc_enable:=NO}"\n: "${svc_flags:=a \\"b\\" \\$c \\`d\\` \\}}"\n' in script
    assert '\nsig_reload="USR1"\nsig_stop="INT"\n' in script
    assert '\nrequired_files="/etc/a /etc/b"\n' in script
    assert "\nsvc_fib=1\nsvc_limits='-n 1024'\nsvc_login_class=daemon\nsvc_oomprotect=YES\n".replace("'", '"') in script
    assert '\nextra_commands="hello"\nhello_cmd=${name}_hello\nstop_postcmd=${name}_poststop\n' in script
    assert "\nsvc_poststop()\n{\n:\n}\n" in script
    assert script.endswith('run_rc_command "$@"\n')
    default = subprocess.run(["sh", "-c", script.split("\n\nload_rc_config")[1].split("\n\n")[0] + '\nprintf %s "$svc_flags"'],
                             capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert default.stdout == 'a "b" $c `d` }'


def test_no_command_needs_start_and_stop() -> None:
    with pytest.raises(EvalError, match="must define start and stop"):
        generate(managed(name="x"), SETTINGS)
    script = script_of(
        generate(managed(name="x", overrides={"bsdrc": {"commands": {"start": {"implementation": "echo up"}, "stop": {"implementation": "echo down"}}}}), SETTINGS).files,
        "x",
    )
    check_syntax(script)
    assert "command=" not in script and "\nstart_cmd=${name}_start\nstop_cmd=${name}_stop\n" in script


def test_errors_name_the_process() -> None:
    with pytest.raises(ThrownError, match="No process name"):
        generate(managed(name="x", process="/bin/x", overrides={"bsdrc": lambda args: {**args, "name": None}}), SETTINGS)
    for name in ("nginx-proxy", "a/b", "1x", "a b"):
        with pytest.raises(EvalError, match="cannot name a bsdrc script"):
            generate(managed(name=name, process="/bin/x"), SETTINGS)
    with pytest.raises(EvalError, match="not a valid shell variable name"):
        generate(managed(name="x", process="/bin/x", environment={"A-B": "1"}), SETTINGS)
    with pytest.raises(EvalError, match="cannot be evaluated by rc.subr unchanged"):
        generate(managed(name="x", process="/opt/my app/x"), SETTINGS)
    with pytest.raises(EvalError, match="signal 'HUP; rm' of bsdrc script 'x'"):
        generate(managed(name="x", process="/bin/x", overrides={"bsdrc": {"reloadSignal": "HUP; rm"}}), SETTINGS)
    with pytest.raises(EvalError, match="nice level"):
        generate(managed(name="x", process="/bin/x", nice="5; rm"), SETTINGS)
    with pytest.raises(EvalError, match="bsdrc parameters of process 'x': commandArg"):
        generate(managed(name="x", process="/bin/x", overrides={"bsdrc": {"commandArg": []}}), SETTINGS)


def test_force_disable_user_change_keeps_pid_convention() -> None:
    settings = BackendSettings(tmp_dir="T", force_disable_user_change=True)
    output = generate(webapp(), settings).files
    script = script_of(output, "webapp")
    assert "webapp_user" not in script and '\npidfile="T/webapp.pid"\n' in script
    assert not [path for path in output if path.startswith("dysnomia-support/")]


def test_function_override_and_registry() -> None:
    seen: dict[str, Any] = {}

    def override(args: dict[str, Any]) -> dict[str, Any]:
        seen.update(args)
        return {**args, "commandIsDaemon": False}

    process = managed(instanceName="x", process="/bin/x", overrides={"bsdrc": override})
    params = bsdrc_params(process)
    assert seen["command"] == "/bin/x" and seen["commandIsDaemon"] is True and "pidFile" not in seen
    assert not params.command_is_daemon
    script = script_of(generate(process, BackendSettings()).files, "x")
    assert "\ncommand_args=\"'-p' '/var/run/x.pid' '-o' '/var/log/nixproc-x.log' '/bin/x'\"\n" in script
    via_registry = generator("bsdrc").generate(managed(name="w", process="/bin/w"), SETTINGS)
    assert via_registry.files == generator("bsdrc").create({"name": "w", "command": "/bin/w"}, SETTINGS).files


# Running the script against the stand-ins ----------------------------------------------------


@pytest.fixture
def reaper() -> Iterator[Reaper]:
    reaper = Reaper()
    yield reaper
    reaper.kill_all()


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, BSDRCComposition, dict[str, str]]:
    """A hostile-looking directory with the stand-ins, the composition using them, and the environment to run in."""
    root = tmp_path / "ma chine $(touch pwned) `touch pwned` 'q'"
    (root / "bin").mkdir(parents=True)
    (root / "rc.subr").write_text(STAND_IN_RC_SUBR)
    su = root / "bin/su"
    su.write_text(STAND_IN_SU)
    daemon = tmp_path / "daemon"
    daemon.write_text(f"#!{sys.executable}\n{STAND_IN_DAEMON}")
    for executable in (su, daemon):
        executable.chmod(0o755)
    environment = {"PATH": f"{root / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    return root, BSDRCComposition(rc_subr=str(root / "rc.subr"), daemon=str(daemon)), environment


def run(script: Path, command: str, cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(script), command], cwd=cwd, env=environment, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("user", "nice"), [(None, None), (None, 3), ("svc", None), ("svc", 4)], ids=["eval", "nice", "user", "user-nice"]
)
def test_hostile_values_reach_the_process_exactly(
    user: str | None, nice: int | None, tmp_path: Path, machine: tuple[Path, BSDRCComposition, dict[str, str]]
) -> None:
    root, composition, environment = machine
    record = tmp_path / "record.json"
    directory = tmp_path / "work dir $(touch pwned) 'q' \"d\""
    directory.mkdir()
    process = managed(
        name="recorder",
        process=sys.executable,
        args=["-c", RECORDER, str(record), *HOSTILE],
        environment={f"HOSTILE_{index}": value for index, value in enumerate(HOSTILE)},
        directory=str(directory),
        user=user,
        nice=nice,
        initialize=f"printf '%s' prepared > {tmp_path}/initialized",
    )
    output = generate(process, BackendSettings(tmp_dir=str(tmp_path)), composition).files
    script_text = script_of(output, "recorder")
    check_syntax(script_text)
    write_output(output, tmp_path / "out")
    script = tmp_path / "out/etc/rc.d/recorder"

    assert run(script, "start", tmp_path, environment).stdout == "recorder is not enabled\n"
    assert not record.exists()
    started = run(script, "onestart", tmp_path, environment)
    assert started.returncode == 0, started.stderr
    recorded = json.loads(record.read_text())
    assert recorded["argv"] == HOSTILE
    assert recorded["env"] == {f"HOSTILE_{index}": value for index, value in enumerate(HOSTILE)}
    assert recorded["cwd"] == str(directory)
    assert recorded["nice"] == os.nice(0) + (nice or 0)
    assert (tmp_path / "initialized").read_text() == "prepared"
    assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()


def test_daemon_starts_answers_and_stops(
    tmp_path: Path, machine: tuple[Path, BSDRCComposition, dict[str, str]], reaper: Reaper
) -> None:
    _, composition, environment = machine
    hostile = "it's \"q\" $(touch pwned) `touch pwned` ${HOME}\nline two\t* ;&|"
    port = free_port()
    pid_file = tmp_path / "webapp.pid"
    process = managed(
        instanceName="webapp",
        daemon=sys.executable,
        daemonArgs=[str(WEBAPP), "--daemon", hostile],
        user="webapp",
        environment={"PORT": port, "PID_FILE": str(pid_file), "HOSTILE": hostile, **reaper.environment()},
    )
    # The declared user keeps the PID file in tmpDir; the switch itself is disabled.
    settings = BackendSettings(tmp_dir=str(tmp_path), force_disable_user_change=True)
    output = generate(process, settings, composition).files
    write_output(output, tmp_path / "out")
    script = tmp_path / "out/etc/rc.d/webapp"
    pid = None
    try:
        started = run(script, "onestart", tmp_path, environment)
        assert started.returncode == 0, started.stderr
        assert wait_for(lambda: read_pid(pid_file) is not None)
        pid = read_pid(pid_file)
        assert pid is not None and alive(pid)
        assert argv_of(pid)[-1:] == [hostile.encode()]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert str(port) in response.read().decode()
        assert run(script, "status", tmp_path, environment).stdout == f"webapp is running as pid {pid}.\n"
        assert run(script, "stop", tmp_path, environment).returncode == 0
        assert wait_for(lambda: not alive(pid))
        assert not list(tmp_path.rglob("pwned"))
    finally:
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_foreground_process_is_daemonized(
    tmp_path: Path, machine: tuple[Path, BSDRCComposition, dict[str, str]], reaper: Reaper
) -> None:
    _, composition, environment = machine
    hostile = "$(touch pwned) 'x' \"y\"\nz `touch pwned` %s"
    process = managed(
        instanceName="sleeper",
        foregroundProcess=sys.executable,
        foregroundProcessArgs=["-c", "import os, time; print(os.environ['HOSTILE'], flush=True); time.sleep(30)", hostile],
        environment={"HOSTILE": hostile, **reaper.environment()},
    )
    settings = BackendSettings(runtime_dir=str(tmp_path), log_dir=str(tmp_path), tmp_dir=str(tmp_path))
    output = generate(process, settings, composition).files
    write_output(output, tmp_path / "out")
    script = tmp_path / "out/etc/rc.d/sleeper"
    pid_file = tmp_path / "sleeper.pid"
    pid = None
    try:
        started = run(script, "onestart", tmp_path, environment)
        assert started.returncode == 0, started.stderr
        assert wait_for(lambda: read_pid(pid_file) is not None)
        pid = read_pid(pid_file)
        assert pid is not None
        assert wait_for(lambda: argv_of(pid)[-1:] == [hostile.encode()])
        log_file = tmp_path / "nixproc-sleeper.log"
        assert wait_for(lambda: log_file.exists() and log_file.read_text() == hostile + "\n")
        assert run(script, "stop", tmp_path, environment).returncode == 0
        assert wait_for(lambda: not alive(pid))
        assert not list(tmp_path.rglob("pwned"))
    finally:
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_custom_command_runs_with_flexible_parameters(
    tmp_path: Path, machine: tuple[Path, BSDRCComposition, dict[str, str]]
) -> None:
    _, composition, environment = machine
    process = managed(
        name="greeter",
        process="/bin/true",
        path=[str(Path(shutil.which("printf") or "/usr/bin/printf").parent.parent)],
        overrides={"bsdrc": {"commands": {"hello": {"pre": "printf 'pre '", "implementation": "printf 'hello'"}}}},
    )
    output = generate(process, SETTINGS, composition).files
    write_output(output, tmp_path / "out")
    assert run(tmp_path / "out/etc/rc.d/greeter", "hello", tmp_path, environment).stdout == "pre hello"


# Readiness: start_postcmd runs nixproc-wait-ready once rc.subr's start succeeded.

def readiness_script(tmp_path: Path, composition: BSDRCComposition, reaper: Reaper, delay: float,
                     **readiness: Any) -> tuple[Path, int]:
    """A daemonized server listening after ``delay`` seconds; its ``readiness`` checks its port unless told otherwise."""
    port = free_port()
    process = managed(name="server", **delayed_server(port, delay, reaper.environment(), **readiness))
    write_output(generate(process, BackendSettings(tmp_dir=str(tmp_path)), composition).files, tmp_path / "out")
    return tmp_path / "out/etc/rc.d/server", port


def test_start_returns_once_the_process_is_ready(
    tmp_path: Path, machine: tuple[Path, BSDRCComposition, dict[str, str]], reaper: Reaper
) -> None:
    _, composition, environment = machine
    script, port = readiness_script(tmp_path, composition, reaper, delay=1.5, timeout=20)
    assert "start_postcmd=" in script.read_text()
    begun = time.monotonic()
    started = run(script, "onestart", tmp_path, environment)
    assert started.returncode == 0, started.stdout + started.stderr
    assert time.monotonic() - begun >= 1.5 and accepts(port)


def test_start_fails_when_the_process_never_gets_ready(
    tmp_path: Path, machine: tuple[Path, BSDRCComposition, dict[str, str]], reaper: Reaper
) -> None:
    _, composition, environment = machine
    script, port = readiness_script(tmp_path, composition, reaper, delay=0, tcpPort=free_port(), timeout=1)
    started = run(script, "onestart", tmp_path, environment)
    assert started.returncode == 1
    assert started.stderr.strip().splitlines()[-1].startswith("error: process 'server' was not ready after 1 s")
    assert wait_for(lambda: accepts(port)), "the process itself runs: rc.subr's stop is for the caller to use"


def test_hostile_readiness_command_reaches_the_check_exactly(
    tmp_path: Path, machine: tuple[Path, BSDRCComposition, dict[str, str]]
) -> None:
    _, composition, environment = machine
    record = tmp_path / "check.json"
    recorder = tmp_path / "wait-ready"
    recorder.write_text(f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n")
    recorder.chmod(0o755)
    process = managed(name="checked", foregroundProcess="/bin/sleep", foregroundProcessArgs=["5"],
                      readiness={"command": ["/opt/check", *HOSTILE]})
    output = generate(process, BackendSettings(tmp_dir=str(tmp_path)),
                      replace(composition, wait_ready=str(recorder))).files
    write_output(output, tmp_path / "out")
    started = run(tmp_path / "out/etc/rc.d/checked", "onestart", tmp_path, environment)
    assert started.returncode == 0, started.stderr
    assert json.loads(record.read_text()) == [
        "--name", "checked", "--timeout", "30", "--interval", "0.5", "--", "/opt/check", *HOSTILE]
    assert not list(tmp_path.rglob("pwned"))


def test_a_log_line_check_is_the_switchs() -> None:
    process = managed(name="logged", foregroundProcess="/bin/sleep", readiness={"logLine": "ready"})
    assert "start_postcmd" not in script_of(generate(process, SETTINGS).files, "logged")
