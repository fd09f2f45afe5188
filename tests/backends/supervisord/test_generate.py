"""The supervisord generator (SPEC §3.4): golden files, supervisor's own parser, and a real supervisord.

supervisor is Debian's (``apt-get install supervisor``): its Python package
lives in the system Python, so the parser checks run ``/usr/bin/python3``,
and the runtime test starts ``/usr/bin/supervisord`` on a private socket.
Every process a test starts carries a marker in its environment and is
killed by PID at teardown.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend_checks import (
    HOSTILE,
    Reaper,
    alive,
    argv_of,
    assert_golden,
    bash_syntax_ok,
    environ_of,
    python_program,
    read_pid,
    shellcheck_ok,
    wait_for,
)
from nixproc_disnix.backends.common.backend import Dependency, Generated, generator, profile_files as common_profile_files
from nixproc_disnix.backends.common.foreground_proxy import ProxyTools
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile, write_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.supervisord.generate import (
    SupervisordComposition,
    generate,
    profile_files,
    supervisord_params,
)
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

GOLDEN = Path(__file__).parent / "golden"
REPOSITORY = Path(__file__).resolve().parents[3]
SYSTEM_PYTHON = "/usr/bin/python3"
SUPERVISORD = shutil.which("supervisord")

COMPOSITION = SupervisordComposition(
    base_packages=tuple(
        f"/nix/store/{'0' * 31}{index}-{package}"
        for index, package in enumerate(("coreutils-9.1", "gnused-4.9", "gnugrep-3.7", "inetutils-2.4"))
    ),
    proxy=ProxyTools(chainload_user="/nix/store/" + "1" * 32 + "-nixproc-chainload-user/bin/nixproc-chainload-user", platform="linux"),
)

# Prints what supervisord makes of a configuration: per program its command as
# split for execv, its environment, directory, umask, user id and priority.
PARSE = """
import json, shlex, sys
from supervisor.options import ServerOptions
options = ServerOptions()
options.configfile = sys.argv[1]
options.process_config(do_usage=False)
programs = {}
for group in options.process_group_configs:
    for program in group.process_configs:
        programs[program.name] = {
            "argv": shlex.split(program.command),
            "environment": program.environment,
            "directory": program.directory,
            "umask": program.umask,
            "uid": program.uid,
            "priority": program.priority,
            "startsecs": program.startsecs,
        }
json.dump(programs, sys.stdout)
"""

RECORDER = """
import json, os, signal, sys
with open(os.environ["RECORD"] + ".new", "w") as out:
    json.dump({"pid": os.getpid(), "argv": sys.argv[1:], "cwd": os.getcwd(), "uid": os.getuid()}, out)
os.rename(os.environ["RECORD"] + ".new", os.environ["RECORD"])
signal.pause()
"""

DAEMON = """
import os, signal, sys
pid_file = sys.argv[1]
ready_read, ready_write = os.pipe()
if os.fork() > 0:
    os.read(ready_read, 1)
    os._exit(0)
os.setsid()
with open(pid_file + ".new", "w") as handle:
    handle.write(f"{os.getpid()}\\n")
os.rename(pid_file + ".new", pid_file)
os.write(ready_write, b"x")
signal.pause()
"""


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "supervisord")


def webapp(**extra: Any) -> ManagedProcess:
    """The running example of SPEC §3: the webapp of §1.4, in both modes, as user webapp."""
    return managed(
        instanceName="webapp",
        process="/nix/store/" + "2" * 32 + "-webapp/bin/webapp",
        daemonArgs=["-D"],
        description="Simple web application",
        environment={"PORT": 5000, "PID_FILE": "/tmp/webapp.pid"},
        user="webapp",
        credentials={"groups": {"webapp": {}}, "users": {"webapp": {"group": "webapp", "description": "Webapp"}}},
        overrides={"sysvinit": {"runlevels": [3, 4, 5]}},
        **extra,
    )


def nginx(dependencies: list[Dependency]) -> ManagedProcess:
    """A reverse proxy after the webapp, with state to prepare: it runs through the foreground proxy."""
    process = managed(
        instanceName="nginx",
        process="/nix/store/" + "3" * 32 + "-nginx-1.24.0/bin/nginx",
        args=["-p", "/var/nginx", "-c", "/nix/store/" + "4" * 32 + "-nginx.conf"],
        foregroundProcessExtraArgs=["-g", "daemon off;"],
        daemonExtraArgs=["-g", "daemon on;"],
        initialize="mkdir -p /var/nginx/logs\nmkdir -p /var/cache/nginx\n",
        credentials={"groups": {"nginx": {}}, "users": {"nginx": {"group": "nginx", "description": "Nginx user"}}},
    )
    return process.model_copy(update={"dependencies": dependencies})


def parsed(generated: list[Generated], tmp_path: Path) -> dict[str, Any]:
    """What supervisor's own configuration reader makes of the programs of ``generated``."""
    for output in [*generated, Generated("supervisord.d", profile_files([output.name for output in generated]))]:
        write_output(output.files, tmp_path / "profile")
    config = tmp_path / "profile/supervisord.conf"
    result = subprocess.run([SYSTEM_PYTHON, "-c", PARSE, str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# Golden files and layout -----------------------------------------------------------------


def test_webapp_golden() -> None:
    generated = generate(webapp(), BackendSettings(), COMPOSITION)
    assert generated.name == "webapp" and generated.passthru == {"priority": 1}
    assert_golden(GOLDEN / "webapp", generated)


def test_nginx_after_webapp_golden() -> None:
    webapp_output = generate(webapp(), BackendSettings(), COMPOSITION)
    dependency = Dependency(webapp_output.name, passthru=webapp_output.passthru)
    generated = generate(nginx([dependency]), BackendSettings(), COMPOSITION)
    assert generated.passthru == {"priority": 2}
    assert_golden(GOLDEN / "nginx", generated)
    proxy = generated.files["bin/nginx-foregroundproxy.sh"]
    assert isinstance(proxy, GeneratedFile)
    bash_syntax_ok(proxy.content)
    shellcheck_ok(proxy.content)


def test_golden_programs_read_back_with_supervisor(tmp_path: Path) -> None:
    # supervisor refuses a user= it cannot find, and this machine has no webapp user.
    settings = BackendSettings(force_disable_user_change=True)
    webapp_output = generate(webapp(), settings, COMPOSITION)
    nginx_output = generate(nginx([Dependency("webapp", passthru=webapp_output.passthru)]), settings, COMPOSITION)
    programs = parsed([webapp_output, nginx_output], tmp_path)
    assert programs["webapp"]["argv"] == ["/nix/store/" + "2" * 32 + "-webapp/bin/webapp"]
    assert programs["webapp"]["environment"] == {
        "PATH": ":".join(f"{package}/bin" for package in COMPOSITION.base_packages),
        "PID_FILE": "/tmp/webapp.pid",
        "PORT": "5000",
    }
    assert programs["nginx"]["argv"] == [
        str(tmp_path / "profile/bin/nginx-foregroundproxy.sh"),
        "-p", "/var/nginx", "-c", "/nix/store/" + "4" * 32 + "-nginx.conf", "-g", "daemon off;",
    ]
    assert (programs["webapp"]["priority"], programs["nginx"]["priority"]) == (1, 2)
    # What a profile build adds: the supervisord.conf the programs above were read through.
    assert common_profile_files("supervisord", ["webapp", "nginx"]) == profile_files(["webapp", "nginx"])


def test_daemon_only_process_runs_under_the_wrapping_proxy() -> None:
    process = managed(instanceName="w", daemon="/bin/w", daemonArgs=["-D"], nice=3, user="u", directory="/srv/w")
    generated = generate(process, BackendSettings(), COMPOSITION)
    conf = generated.files["conf.d/w.conf"]
    proxy = generated.files["bin/w-foregroundproxy.sh"]
    assert isinstance(conf, GeneratedFile) and isinstance(proxy, GeneratedFile) and proxy.executable
    assert conf.content == (
        f"[program:w]\ncommand={OUT_PLACEHOLDER}/bin/w-foregroundproxy.sh -D\npriority=1\n"
        + "environment=PATH=" + '"' + ":".join(f"{package}/bin" for package in COMPOSITION.base_packages) + '"\n'
        + "directory=/srv/w\nuser=u\n"
    )
    # supervisord switches the user itself; the proxy only adds nice and waits for the PID file.
    assert '\nnice -n 3 /bin/w "$@"\n' in proxy.content
    assert "\npid_file=/var/run/w.pid\n" in proxy.content


def test_nice_without_a_proxy_prefixes_the_command() -> None:
    generated = generate(managed(name="x", foregroundProcess="/bin/x", nice=-5, umask="027"), BackendSettings())
    conf = generated.files["conf.d/x.conf"]
    assert isinstance(conf, GeneratedFile)
    assert conf.content == "[program:x]\ncommand=nice -n -5 /bin/x\npriority=1\numask=027\n"
    assert set(generated.files) == {"conf.d/x.conf"}


def test_initialize_chainloads_the_user_unless_user_changes_are_disabled() -> None:
    process = managed(name="x", foregroundProcess="/bin/x", initialize="touch /x", user="u", credentials={"users": {"u": {}}})
    generated = generate(process, BackendSettings(), COMPOSITION)
    conf, proxy = generated.files["conf.d/x.conf"], generated.files["bin/x-foregroundproxy.sh"]
    assert isinstance(conf, GeneratedFile) and isinstance(proxy, GeneratedFile)
    assert "user=" not in conf.content
    assert f'exec {COMPOSITION.proxy.chainload_user} u /bin/x "$@"' in proxy.content
    assert "dysnomia-support/users/u" in generated.files

    disabled = generate(process, BackendSettings(force_disable_user_change=True), COMPOSITION)
    conf, proxy = disabled.files["conf.d/x.conf"], disabled.files["bin/x-foregroundproxy.sh"]
    assert isinstance(conf, GeneratedFile) and isinstance(proxy, GeneratedFile)
    assert "user=" not in conf.content and "chainload" not in proxy.content
    assert not any(path.startswith("dysnomia-support/") for path in disabled.files)


def test_user_property_goes_when_user_changes_are_disabled() -> None:
    generated = generate(webapp(), BackendSettings(force_disable_user_change=True), COMPOSITION)
    conf = generated.files["conf.d/webapp.conf"]
    assert isinstance(conf, GeneratedFile) and "user=" not in conf.content


def test_errors_name_the_process() -> None:
    with pytest.raises(EvalError, match="supervisord program name 'a b' cannot name its output"):
        generate(managed(name="a b", process="/bin/x"), BackendSettings())
    with pytest.raises(EvalError, match="supervisord program name '..' cannot name a file"):
        generate(managed(name="..", process="/bin/x"), BackendSettings())
    with pytest.raises(EvalError, match="process 'x' has neither a foreground process nor a daemon"):
        generate(managed(name="x"), BackendSettings())
    with pytest.raises(EvalError, match="environment variable name 'A B' of process 'x'"):
        generate(managed(name="x", process="/bin/x", environment={"A B": "1"}), BackendSettings())
    with pytest.raises(EvalError, match="supervisord program 'x' has no command"):
        generator("supervisord").create({"name": "x"}, BackendSettings())
    with pytest.raises(EvalError, match="property 'directory' of supervisord program 'x' contains a line break"):
        generate(managed(name="x", process="/bin/x", directory="/a\nb"), BackendSettings())
    with pytest.raises(EvalError, match="cannot have a property named 'a=b'"):
        generate(managed(name="x", process="/bin/x", overrides={"supervisord": {"a=b": 1}}), BackendSettings())
    with pytest.raises(EvalError, match="property 'stdout_logfile' .* line break that does not start"):
        generate(managed(name="x", process="/bin/x", overrides={"supervisord": {"stdout_logfile": "/l\n[program:y]"}}), BackendSettings())


# Dependencies -------------------------------------------------------------------------------


def test_priority_follows_the_latest_dependency() -> None:
    process = managed(name="x", process="/bin/x").model_copy(
        update={"dependencies": [Dependency("a", passthru={"priority": 4}), Dependency("b", passthru={"priority": 2})]}
    )
    assert generate(process, BackendSettings()).passthru == {"priority": 5}
    with pytest.raises(ThrownError, match="attribute 'priority' missing in dependency 'other'"):
        generate(process.model_copy(update={"dependencies": [Dependency("other")]}), BackendSettings())


def test_explicit_priority_replaces_the_computed_one() -> None:
    generated = generate(managed(name="x", process="/bin/x", overrides={"supervisord": {"priority": 50}}), BackendSettings())
    conf = generated.files["conf.d/x.conf"]
    assert isinstance(conf, GeneratedFile) and conf.content.count("priority=") == 1 and "priority=50\n" in conf.content
    assert generated.passthru == {"priority": 50}
    with pytest.raises(EvalError, match="property 'priority' of supervisord program 'x' must be an integer"):
        generate(managed(name="x", process="/bin/x", overrides={"supervisord": {"priority": "high"}}), BackendSettings())


# Overrides ------------------------------------------------------------------------------


def test_overrides_merge_into_generated_parameters(tmp_path: Path) -> None:
    process = managed(
        name="x",
        process="/bin/x",
        environment={"A": "1"},
        overrides={
            "supervisord": {
                "environment": {"B": "2"},
                "autorestart": True,
                "startsecs": 0,
                "stopasgroup": False,
                "stdout_logfile": "%(here)s/x.log",
                "user": None,
                "useProxy": True,
            }
        },
    )
    generated = generate(process, BackendSettings(runtime_dir="/R"), SupervisordComposition(pidproxy="/usr/bin/pidproxy"))
    conf = generated.files["conf.d/x.conf"]
    assert isinstance(conf, GeneratedFile)
    assert conf.content == (
        "[program:x]\ncommand=/usr/bin/pidproxy /R/x.pid /bin/x\npriority=1\n"
        'environment=A="1",B="2"\nautorestart=true\nstartsecs=0\nstdout_logfile=%(here)s/x.log\n'
        "stopasgroup=false\n"
    )
    program = parsed([generated], tmp_path)["x"]
    assert program["argv"] == ["/usr/bin/pidproxy", "/R/x.pid", "/bin/x"]


def test_function_override_sees_the_generated_parameters() -> None:
    seen: dict[str, Any] = {}

    def override(arguments: dict[str, Any]) -> dict[str, Any]:
        seen.update(arguments)
        return {**arguments, "command": "/bin/other", "pidFile": "/run/other.pid", "useProxy": True}

    process = managed(instanceName="x", daemon="/bin/x", pidFile="/run/x.pid", overrides={"supervisord": override})
    params, proxy = supervisord_params(process, BackendSettings())
    assert proxy is not None and seen["command"] == shlex.quote(proxy.executable)
    assert seen["pidFile"] == "/run/x.pid" and seen["name"] == "x"
    generated = generate(process, BackendSettings(), SupervisordComposition(pidproxy="pidproxy"))
    # The command no longer names the proxy, so the proxy is not written.
    assert set(generated.files) == {"conf.d/x.conf"}
    conf = generated.files["conf.d/x.conf"]
    assert isinstance(conf, GeneratedFile) and "command=pidproxy /run/other.pid /bin/other\n" in conf.content


def test_native_create_agrees_with_generate() -> None:
    through_generate = generate(managed(name="w", foregroundProcess="/bin/w", umask="022"), BackendSettings())
    native = generator("supervisord").create({"name": "w", "command": "/bin/w", "umask": "022"}, BackendSettings())
    assert native == through_generate


# Hostile values -------------------------------------------------------------------------


def test_hostile_values_read_back_exactly_with_supervisor(tmp_path: Path) -> None:
    # environment= cannot carry a value ending in a quote, with whitespace before ';' or
    # with '%(here)s'; a one-line property not a line break either (refusals: below).
    unfit_environment = {'"double" quotes', HOSTILE[6], HOSTILE[7]}
    unfit_directory = {"new\nline\n", HOSTILE[6], HOSTILE[7]}
    outputs = []
    expected = {}
    for index, value in enumerate(HOSTILE):
        name = f"p{index}"
        environment = {} if value in unfit_environment else {"HOSTILE": value}
        params: dict[str, Any] = {
            "name": name,
            "foregroundProcess": f"/opt/{value}/bin/x",
            "foregroundProcessArgs": [value, f"{value}{value}", "plain"],
            "environment": environment,
        }
        if value not in unfit_directory:
            params["directory"] = f"/srv/{value}x"
        outputs.append(generate(managed(**params), BackendSettings()))
        expected[name] = {
            "argv": [f"/opt/{value}/bin/x", value, f"{value}{value}", "plain"],
            "environment": environment,
            "directory": params.get("directory"),
        }
        if value in unfit_environment:
            with pytest.raises(EvalError, match=f"environment variable 'HOSTILE' of supervisord program '{name}'"):
                generate(managed(**{**params, "environment": {"HOSTILE": value}}), BackendSettings())
        if value in unfit_directory:
            with pytest.raises(EvalError, match=f"property 'directory' of supervisord program '{name}'"):
                generate(managed(**{**params, "directory": f"/srv/{value}x"}), BackendSettings())
    programs = parsed(outputs, tmp_path)
    for name, program in expected.items():
        assert {key: programs[name][key] for key in program} == program, name


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('"double" quotes', "a quote at its start or end"),
        ("it's \"quoted\" x", "both quote characters"),
        ("a ;b", "';' or '#' after whitespace"),
        ("a #b", "';' or '#' after whitespace"),
        ("%(here)s", "'%\\(here\\)s'"),
        ("a \nb", "a line that starts with whitespace"),
        ("a\n b", "a line that starts with whitespace"),
        ("a\n#b", "';' or '#' after whitespace"),
        ("a\rb", "a carriage return"),
    ],
)
def test_environment_values_supervisord_cannot_read_back_are_refused(value: str, reason: str) -> None:
    with pytest.raises(EvalError, match=f"environment variable 'V' of supervisord program 'x' contains {reason}"):
        generate(managed(name="x", process="/bin/x", environment={"V": value}), BackendSettings())


def test_arguments_with_a_carriage_return_are_refused() -> None:
    with pytest.raises(EvalError, match="an argument of supervisord program 'x' contains a carriage return"):
        generate(managed(name="x", foregroundProcess="/bin/x", foregroundProcessArgs=["a\rb"]), BackendSettings())


# A real supervisord ---------------------------------------------------------------------


@pytest.fixture
def reaper() -> Iterator[Reaper]:
    reaper = Reaper()
    yield reaper
    reaper.kill_all()


@pytest.mark.integration
def test_real_supervisord_runs_programs_with_exact_arguments_and_environment(tmp_path: Path, reaper: Reaper) -> None:
    assert SUPERVISORD is not None, "supervisord is required (Debian: apt-get install supervisor)"
    hostile = "it's $(touch pwned) `touch pwned` ;#% %(here)s\nline two\ttab ${HOME} & | > *"
    environment_value = "x it's $(touch pwned) `touch pwned` 100%;x\nnext\tline x"
    workdir = tmp_path / "work dir $(touch pwned) 'q' %x"
    workdir.mkdir()
    recorder = python_program(tmp_path / "bin dir ;#%" / "recorder", RECORDER)
    daemon = python_program(tmp_path / "daemon", DAEMON)
    record = tmp_path / "record.json"
    daemon_pid_file = tmp_path / "daemon.pid"
    initialized = tmp_path / "initialized"

    settings = BackendSettings(runtime_dir=str(tmp_path), tmp_dir=str(tmp_path), log_dir=str(tmp_path))
    outputs = [
        generate(
            managed(
                name="recorder",
                foregroundProcess=str(recorder),
                foregroundProcessArgs=[*HOSTILE, hostile],
                environment={"RECORD": str(record), "HOSTILE": environment_value, **reaper.environment()},
                directory=str(workdir),
                initialize=f"touch {shlex.quote(str(initialized))}",
            ),
            settings,
        ),
        generate(
            managed(name="daemon", daemon=str(daemon), daemonArgs=[str(daemon_pid_file)], pidFile=str(daemon_pid_file)),
            settings,
        ),
    ]
    profile = tmp_path / "profile"
    for output in outputs:
        write_output(output.files, profile)
    config = tmp_path / "supervisord.conf"
    config.write_text(
        "[supervisord]\n"
        f"logfile={tmp_path}/supervisord.log\npidfile={tmp_path}/supervisord.pid\nchildlogdir={tmp_path}\n"
        "[include]\n"
        "files = profile/conf.d/*.conf\n"
    )
    environment = {"PATH": os.environ["PATH"], **reaper.environment()}
    supervisord = subprocess.Popen(
        [SUPERVISORD, "-n", "-c", str(config)], env=environment, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(record.exists), (tmp_path / "supervisord.log").read_text()
        recorded = json.loads(record.read_text())
        pid = recorded["pid"]
        assert recorded["argv"] == [*HOSTILE, hostile]
        assert recorded["cwd"] == str(workdir)
        assert argv_of(pid)[2:] == [value.encode() for value in (*HOSTILE, hostile)]
        assert environ_of(pid)[b"HOSTILE"] == environment_value.encode()
        assert initialized.exists()

        assert wait_for(lambda: read_pid(daemon_pid_file) is not None)
        daemon_pid = read_pid(daemon_pid_file)
        assert daemon_pid is not None and alive(daemon_pid)

        supervisord.send_signal(signal.SIGTERM)
        assert supervisord.wait(timeout=20) == 0
        assert wait_for(lambda: not alive(pid) and not alive(daemon_pid))
        assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()
    finally:
        if supervisord.poll() is None:
            supervisord.kill()
            supervisord.wait()


# Readiness -------------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "startsecs"), [(0.5, 1), (1, 1), (2.5, 3)])
def test_readiness_sets_startsecs_from_its_interval(interval: float, startsecs: int, tmp_path: Path) -> None:
    process = managed(name="x", foregroundProcess="/bin/x",
                      readiness={"tcpPort": 80, "interval": interval, "timeout": 120})
    generated = generate(process, BackendSettings(), COMPOSITION)
    conf = generated.files["conf.d/x.conf"]
    assert isinstance(conf, GeneratedFile) and conf.content.endswith(f"\nstartsecs={startsecs}\n")
    plain = generate(managed(name="x", foregroundProcess="/bin/x"), BackendSettings(), COMPOSITION).files
    assert conf.content == plain["conf.d/x.conf"].content + f"startsecs={startsecs}\n"  # type: ignore[union-attr]
    assert parsed([generated], tmp_path)["x"]["startsecs"] == startsecs


def test_a_startsecs_override_wins_over_readiness() -> None:
    process = managed(name="x", foregroundProcess="/bin/x", readiness={"http": "http://127.0.0.1/", "interval": 5},
                      overrides={"supervisord": {"startsecs": 0}})
    conf = generate(process, BackendSettings(), COMPOSITION).files["conf.d/x.conf"]
    assert isinstance(conf, GeneratedFile) and conf.content.endswith("\nstartsecs=0\n")
