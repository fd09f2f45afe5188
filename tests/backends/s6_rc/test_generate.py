"""The s6-rc generator (SPEC §3.9): definition directories, overrides, and a run script under real s6-supervise.

``s6-rc-compile`` is not packaged by Debian, so the definition directories
are checked by :mod:`.source_format`, a checker of s6-rc's documented source
format written for these tests. The scripts are lexed by the real
``execlineb`` (with a program that prints its arguments put in front, so
nothing of the script runs), environment files are read by the real
``envfile``, and a generated longrun ``run`` script is run for real under
``s6-supervise`` with hostile arguments and environment, then brought down
with ``s6-svc -d`` and ``-x``. A longrun with a readiness check runs under
``s6-supervise`` too: ``s6-svwait -U`` returns only once its port opens.
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
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backend_checks import HOSTILE as COMMON_HOSTILE
from backend_checks import Reaper, accepts, alive, bash_syntax_ok, delayed_server, free_port, shellcheck_ok, wait_for
from golden_files import assert_matches_golden

from nixproc_disnix.backends.common.backend import Dependency, generator
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile, write_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.s6_rc import execline
from nixproc_disnix.backends.s6_rc.generate import (
    S6RCComposition,
    create,
    create_log_service_for_long_run_service,
    create_service_bundle,
    generate,
    profile_files,
)
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

from .source_format import SourceFormatError, check_source_directory

GOLDEN = Path(__file__).parent / "golden"
EXECLINEB = "/usr/lib/execline/bin/execlineb"
ENVFILE = "/usr/lib/execline/bin/envfile"
S6_SUPERVISE = shutil.which("s6-supervise")
S6_SVC = shutil.which("s6-svc")
SYSTEM_PYTHON = "/usr/bin/python3"

HOSTILE = [*COMMON_HOSTILE, "$1 $@ ${0}", "  lead and trail  ", "\\n \\0x41 \\101", "{", "}", "# not a comment",
           "\x01\x7f control", "ünïcødé ☃"]
"""The shared hostile values, plus what execline's lexer and envfile treat specially."""

SETTINGS = BackendSettings(tmp_dir="/T")


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "s6-rc")


def webapp(**extra: Any) -> ManagedProcess:
    """The running example of SPEC §3: the webapp of §1.4 as instance ``webapp``."""
    return managed(**{
        "instanceName": "webapp",
        "process": "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-webapp/bin/webapp",
        "daemonArgs": ["-D"],
        "description": "Simple web application",
        "user": "webapp",
        "environment": {"PORT": 5000, "PID_FILE": "/T/webapp.pid"},
        "credentials": {"groups": {"webapp": {}}, "users": {"webapp": {"group": "webapp", "description": "Webapp"}}},
        **extra,
    })


def execline_words(script: str) -> list[str]:
    """The argv the real ``execlineb -P`` builds from ``script`` (blocks as execline quotes them).

    A program printing its arguments is put in front, so the script's own
    programs are not run.
    """
    printer = f"{execline.word(sys.executable)} -c {execline.string('import json, sys; json.dump(sys.argv[1:], sys.stdout)')} "
    result = subprocess.run([EXECLINEB, "-P", "-c", printer + script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def envfile_environment(content: str, tmp_path: Path) -> dict[str, str]:
    """The environment the real ``envfile`` makes from ``content`` (only the variables it adds).

    The reader starts from an empty environment; Python's locale coercion adds ``LC_CTYPE``.
    """
    path = tmp_path / "envfile"
    path.write_text(content)
    result = subprocess.run(
        [ENVFILE, str(path), sys.executable, "-c", "import json, os; json.dump(dict(os.environ), __import__('sys').stdout)"],
        env={},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return {name: value for name, value in json.loads(result.stdout).items() if name != "LC_CTYPE"}


def files_under(output: Any, directory: str) -> dict[str, str]:
    prefix = f"etc/s6/sv/{directory}/"
    return {path[len(prefix):]: entry.content for path, entry in output.items() if path.startswith(prefix)}


# Layout and golden outputs -------------------------------------------------------------


def test_webapp_longrun_matches_spec_and_golden() -> None:
    generated = generate(webapp(), SETTINGS)
    assert generated.name == "webapp-srv"
    assert_matches_golden(generated.files, GOLDEN / "webapp")
    service = files_under(generated.files, "webapp-srv")
    assert service == {
        "type": "longrun\n",
        "producer-for": "webapp-log\n",
        "run": (
            "#!/usr/lib/execline/bin/execlineb -P\n\n"
            f"/usr/lib/execline/bin/envfile {OUT_PLACEHOLDER}/share/s6-rc/webapp-envfile\n"
            "/usr/bin/s6-setuidgid webapp\n/usr/lib/execline/bin/fdmove -c 2 1\n"
            "/usr/lib/execline/bin/exec /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-webapp/bin/webapp\n"
        ),
    }
    assert generated.files["etc/s6/sv/webapp-srv/run"].executable
    assert files_under(generated.files, "webapp-log") == {
        "type": "longrun\n",
        "consumer-for": "webapp-srv\n",
        "notification-fd": "3\n",
        "pipeline-name": "webapp\n",
        "run": (
            "#!/usr/lib/execline/bin/execlineb -P\n\n"
            "/usr/lib/execline/bin/foreground { mkdir -p /var/log/s6-log/webapp }\n"
            "/usr/lib/execline/bin/foreground { chown -R s6-log:s6-log /var/log/s6-log/webapp }\n"
            "/usr/bin/s6-setuidgid s6-log\n"
            "/usr/lib/execline/bin/exec -c /usr/bin/s6-log -d3 /var/log/s6-log/webapp\n"
        ),
    }
    assert generated.files["share/s6-rc/webapp-envfile"] == GeneratedFile(
        "PATH=/usr/lib/execline/bin:/usr/bin\nPID_FILE=/T/webapp.pid\nPORT=5000\n"
    )


def test_dependent_longrun_matches_golden() -> None:
    nginx = managed(
        instanceName="nginx",
        foregroundProcess="/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nginx/bin/nginx",
        args=["-p", "/var/nginx", "-c", "/nix/store/cccccccccccccccccccccccccccccccc-nginx.conf"],
        foregroundProcessExtraArgs=["-g", "daemon off;"],
        initialize="mkdir -p /var/nginx/logs\nchown nginx:nginx /var/nginx/logs\n",
        user="nginx",
        umask="022",
        nice=5,
        directory="/var/nginx",
        path=["/nix/store/dddddddddddddddddddddddddddddddd-nginx"],
    ).model_copy(update={"dependencies": [Dependency("webapp-srv")]})
    composition = S6RCComposition(
        execline="/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-execline",
        s6="/nix/store/ffffffffffffffffffffffffffffffff-s6",
        base_packages=("/nix/store/gggggggggggggggggggggggggggggggg-coreutils",),
    )
    generated = generate(nginx, SETTINGS, composition)
    assert_matches_golden(generated.files, GOLDEN / "nginx")
    assert files_under(generated.files, "nginx-srv")["dependencies"] == "webapp-srv\n"
    words = execline_words(files_under(generated.files, "nginx-srv")["run"])
    execline_bin, s6_bin = "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-execline/bin", "/nix/store/ffffffffffffffffffffffffffffffff-s6/bin"
    assert words == [
        f"{execline_bin}/envfile", f"{OUT_PLACEHOLDER}/share/s6-rc/nginx-envfile",
        f"{execline_bin}/foreground", f" {OUT_PLACEHOLDER}/libexec/s6-rc/nginx-initialize", "",
        f"{execline_bin}/execline-umask", "022", f"{execline_bin}/execline-cd", "/var/nginx",
        f"{s6_bin}/s6-setuidgid", "nginx", "nice", "-n", "5", f"{execline_bin}/fdmove", "-c", "2", "1",
        f"{execline_bin}/exec", "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nginx/bin/nginx", "-p", "/var/nginx",
        "-c", "/nix/store/cccccccccccccccccccccccccccccccc-nginx.conf", "-g", "daemon off;",
    ]
    script = generated.files["libexec/s6-rc/nginx-initialize"]
    assert isinstance(script, GeneratedFile) and script.executable
    bash_syntax_ok(script.content)
    shellcheck_ok(script.content)


def test_daemon_only_process_is_a_oneshot_killed_through_the_auto_pid_file(tmp_path: Path) -> None:
    generated = generate(managed(instanceName="d", daemon="/bin/d", daemonArgs=["--fork", "a b"], user="u"), SETTINGS)
    assert generated.name == "d"
    service = files_under(generated.files, "d")
    assert sorted(service) == ["down", "type", "up"] and service["type"] == "oneshot\n"
    assert not generated.files["etc/s6/sv/d/up"].executable
    assert execline_words(service["up"])[-9:] == [
        "u", "/usr/lib/execline/bin/fdmove", "-c", "2", "1", "/usr/lib/execline/bin/exec", "/bin/d", "--fork", "a b"
    ]
    assert execline_words(service["down"]) == [
        "/usr/lib/execline/bin/backtick", "PID", " cat", " /T/d.pid", "", "/usr/lib/execline/bin/importas", "-i", "PID", "PID",
        "kill", "$PID",
    ]
    # The down script really kills the process named in the PID file.
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        pid_file = tmp_path / "d.pid"
        pid_file.write_text(f"{sleeper.pid}\n")
        down = generate(managed(name="d", daemon="/bin/d", pidFile=str(pid_file)), SETTINGS).files["etc/s6/sv/d/down"]
        subprocess.run([EXECLINEB, "-P", "-c", down.content], env={"PATH": os.environ["PATH"]}, check=True, timeout=30)
        assert sleeper.wait(timeout=10) == -signal.SIGTERM
    finally:
        sleeper.kill()
        sleeper.wait()
    # Without any PID file there is nothing to kill: no down script.
    assert "etc/s6/sv/e/down" not in generate(managed(name="e", daemon="/bin/e"), SETTINGS).files


def test_definition_directories_pass_the_source_format_checker(tmp_path: Path) -> None:
    webapp_output = generate(webapp(), SETTINGS)
    nginx = managed(name="nginx", foregroundProcess="/bin/nginx", initialize="true")
    nginx_output = generate(nginx.model_copy(update={"dependencies": [Dependency(webapp_output.name)]}), SETTINGS)
    daemon_output = generate(managed(instanceName="d", daemon="/bin/d"), SETTINGS)
    empty = create_service_bundle({"name": "empty"}, SETTINGS)
    for output in (webapp_output, nginx_output, daemon_output, empty):
        write_output(output.files, tmp_path / "profile")
    # The profile's own bundle, as the framework adds it (SPEC §3.11).
    write_output(profile_files([out.name for out in (webapp_output, nginx_output, daemon_output)]), tmp_path / "profile")
    definitions = check_source_directory(tmp_path / "profile/etc/s6/sv")
    assert {name: definition.type for name, definition in definitions.items()} == {
        "d": "oneshot", "default": "bundle", "empty": "bundle", "nginx-log": "longrun", "nginx-srv": "longrun",
        "webapp-log": "longrun", "webapp-srv": "longrun",
    }
    assert definitions["default"].contents == ["webapp-srv", "nginx-srv", "d"]
    assert (tmp_path / "profile/etc/s6/sv/empty/contents").read_text() == ""
    for name in ("webapp-log", "nginx-srv", "webapp-srv"):
        execline_words((tmp_path / f"profile/etc/s6/sv/{name}/run").read_text())
    for name in ("up", "down"):
        execline_words((tmp_path / f"profile/etc/s6/sv/d/{name}").read_text())


def test_source_format_checker_catches_mistakes(tmp_path: Path) -> None:
    output = generate(managed(name="a", foregroundProcess="/bin/a"), SETTINGS)
    write_output(output.files, tmp_path)
    source = tmp_path / "etc/s6/sv"
    check_source_directory(source)
    (source / "a-log/consumer-for").write_text("other-srv\n")
    with pytest.raises(SourceFormatError, match="unknown service 'other-srv'"):
        check_source_directory(source)
    (source / "a-log/consumer-for").write_text("a-srv\n")
    (source / "a-srv/run").chmod(0o644)
    with pytest.raises(SourceFormatError, match="executable run"):
        check_source_directory(source)
    (source / "a-srv/run").chmod(0o755)
    (source / "a-srv/dependencies").write_text("a-srv\n")
    with pytest.raises(SourceFormatError, match="cycle"):
        check_source_directory(source)


# Overrides and native functions --------------------------------------------------------------


def test_overrides_deep_merge_into_longrun_parameters() -> None:
    process = managed(
        name="x",
        foregroundProcess="/bin/x",
        overrides={
            "s6-rc": {
                "autoGenerateLogService": False,
                "notificationFd": 4,
                "flagEssential": True,
                "timeoutKill": 5000,
                "downSignal": "SIGINT",
                "env": {"GREETING": "hello"},
                "data": {"conf/x.conf": "key = value\n"},
                "finish": "#!/bin/sh\nexit 0\n",
            }
        },
    )
    generated = generate(process, SETTINGS)
    assert generated.name == "x"
    service = files_under(generated.files, "x")
    assert {key: value for key, value in service.items() if key != "run"} == {
        "type": "longrun\n", "flag-essential": "", "notification-fd": "4\n", "timeout-kill": "5000\n",
        "down-signal": "SIGINT\n", "env/GREETING": "hello", "data/conf/x.conf": "key = value\n",
        "finish": "#!/bin/sh\nexit 0\n",
    }
    assert generated.files["etc/s6/sv/x/finish"].executable


def test_function_override_replaces_run_and_unused_prelude_files_are_dropped() -> None:
    seen: dict[str, Any] = {}

    def override(args: dict[str, Any]) -> dict[str, Any]:
        seen.update(args)
        return {**args, "run": "#!/bin/sh\nexec /bin/x\n"}

    generated = generate(managed(name="x", foregroundProcess="/bin/x", initialize="true", overrides={"s6-rc": override}), SETTINGS)
    assert seen["name"] == "x" and "envfile" in seen["run"] and "initialize" in seen["run"]
    assert files_under(generated.files, "x-srv")["run"] == "#!/bin/sh\nexec /bin/x\n"
    assert not [path for path in generated.files if path.startswith(("share/", "libexec/"))]


def test_services_are_named_by_output_store_path_or_name() -> None:
    """The framework passes other services as their outputs' store paths; hand-written calls may name them."""
    bundle = create_service_bundle(
        {"name": "b", "contents": ["/nix/store/0123456789abcdfghijklmnpqrsvwxyz-webapp-srv", "nginx-srv", Dependency("d")]},
        SETTINGS,
    )
    assert bundle.files["etc/s6/sv/b/contents"] == GeneratedFile("webapp-srv\nnginx-srv\nd\n")
    log = create_log_service_for_long_run_service({"name": "w"}, SETTINGS)
    assert log.name == "w-log" and files_under(log.files, "w-log")["consumer-for"] == "w-srv\n"
    with pytest.raises(EvalError, match="cannot name an s6-rc service"):
        create_service_bundle({"name": "b", "contents": ["/nix/store/not-a-hash/x y"]}, SETTINGS)


def test_create_dispatches_on_type() -> None:
    assert create({"type": "bundle", "name": "b", "contents": [Dependency("a")]}, SETTINGS).files == {
        "etc/s6/sv/b/type": GeneratedFile("bundle\n"), "etc/s6/sv/b/contents": GeneratedFile("a\n"),
    }
    oneshot = create({"type": "oneshot", "name": "o", "up": "echo up", "dependencies": [Dependency("b")]}, SETTINGS)
    assert files_under(oneshot.files, "o") == {"type": "oneshot\n", "up": "echo up", "dependencies": "b\n"}
    longrun = generator("s6-rc").create({"name": "l", "run": "#!/bin/sh\n", "autoGenerateLogService": False,
                                          "producerFor": Dependency("l-log2")}, SETTINGS)
    assert files_under(longrun.files, "l") == {"type": "longrun\n", "run": "#!/bin/sh\n", "producer-for": "l-log2\n"}
    with pytest.raises(EvalError, match="unknown s6-rc service type 'daemon'"):
        create({"type": "daemon", "name": "x"}, SETTINGS)
    with pytest.raises(EvalError, match="invalid createLongRunService: run"):
        create({"name": "x"}, SETTINGS)


def test_force_disable_user_change() -> None:
    generated = generate(webapp(), BackendSettings(tmp_dir="/T", force_disable_user_change=True))
    assert "s6-setuidgid" not in files_under(generated.files, "webapp-srv")["run"]
    assert "s6-setuidgid" not in files_under(generated.files, "webapp-log")["run"]
    assert "chown" not in files_under(generated.files, "webapp-log")["run"]
    assert not [path for path in generated.files if path.startswith("dysnomia-support/")]


def test_dysnomia_support() -> None:
    generated = generate(webapp(), SETTINGS)
    assert generated.files["dysnomia-support/users/webapp"] == GeneratedFile("description='Webapp'\ngroup='webapp'\n\n")


def test_errors_name_the_service() -> None:
    with pytest.raises(ThrownError, match="No foreground process or daemon known!"):
        generate(managed(name="x"), SETTINGS)
    for name in ("a/b", "a b", ".hidden", "s6rc-x", "s6-rc-x"):
        with pytest.raises(EvalError, match="cannot name an s6-rc service"):
            generate(managed(name=name, foregroundProcess="/bin/x"), SETTINGS)
    with pytest.raises(EvalError, match="not a valid shell variable name"):
        generate(managed(name="x", foregroundProcess="/bin/x", environment={"A=B": "1"}), SETTINGS)
    with pytest.raises(EvalError, match="cannot name a file in etc/s6/sv/x-srv/data"):
        generate(managed(name="x", foregroundProcess="/bin/x", overrides={"s6-rc": {"data": {"../escape": ""}}}), SETTINGS)
    with pytest.raises(EvalError, match="s6-rc parameters of process 'x': timeoutKil"):
        generate(managed(name="x", foregroundProcess="/bin/x", overrides={"s6-rc": {"timeoutKil": 1}}), SETTINGS)


# Hostile values ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_lex_and_read_exactly(value: str, tmp_path: Path) -> None:
    process = managed(
        name="x",
        foregroundProcess="/opt/x bin/x",
        foregroundProcessArgs=[value, "plain", value],
        environment={"HOSTILE": value},
        directory=f"/srv/{value}",
        user=value or "u",
    )
    generated = generate(process, SETTINGS)
    words = execline_words(files_under(generated.files, "x-srv")["run"])
    assert words[words.index("/usr/lib/execline/bin/execline-cd") + 1] == f"/srv/{value}"
    assert words[words.index("/usr/bin/s6-setuidgid") + 1] == (value or "u")
    assert words[words.index("/usr/lib/execline/bin/exec") + 1 :] == ["/opt/x bin/x", value, "plain", value]
    environment = envfile_environment(str(generated.files["share/s6-rc/x-envfile"].content), tmp_path)
    assert environment == {"HOSTILE": value, "PATH": "/usr/lib/execline/bin:/usr/bin"}


# Running under s6-supervise ------------------------------------------------------------------


@pytest.fixture
def reaper() -> Iterator[Reaper]:
    reaper = Reaper()
    yield reaper
    reaper.kill_all()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the service's unprivileged user may write to (pytest's tmp dirs are private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="nixproc-s6-"))
    directory.chmod(0o777)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


RECORDER = (
    "import json, os, signal, sys, time\n"
    "record = {'argv': sys.argv[2:], 'cwd': os.getcwd(), 'uid': os.getuid(), 'umask': os.umask(0), 'nice': os.nice(0),\n"
    "          'pid': os.getpid(), 'env': {k: v for k, v in os.environ.items() if k.startswith('HOSTILE')}}\n"
    "open(sys.argv[1] + '.tmp', 'w').write(json.dumps(record))\n"
    "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
    "time.sleep(120)\n"
)


@pytest.mark.integration
def test_run_script_under_s6_supervise(tmp_path: Path, shared_dir: Path, reaper: Reaper) -> None:
    assert S6_SUPERVISE is not None and S6_SVC is not None, "s6 is required (Debian: s6)"
    assert os.access(SYSTEM_PYTHON, os.X_OK), f"{SYSTEM_PYTHON} is required (the service user cannot run pytest's Python)"
    as_root = os.geteuid() == 0
    record = shared_dir / "record.json"
    workdir = shared_dir / "work dir $(touch pwned) 'q' \"d\" {"
    workdir.mkdir()
    environment = {f"HOSTILE_{index}": value for index, value in enumerate(HOSTILE)}
    process = managed(
        name="recorder",
        foregroundProcess=SYSTEM_PYTHON,
        foregroundProcessArgs=["-c", RECORDER, str(record), *HOSTILE],
        environment={**environment, **reaper.environment()},
        initialize=f"printf '%s' prepared > {shared_dir}/initialized",
        directory=str(workdir),
        umask="027",
        nice=2,
        user="nobody",
    )
    settings = BackendSettings(tmp_dir=str(tmp_path), force_disable_user_change=not as_root)
    generated = generate(process, settings)
    write_output(generated.files, tmp_path / "out")
    service_dir = tmp_path / "out/etc/s6/sv/recorder-srv"
    supervisor = subprocess.Popen(
        [S6_SUPERVISE, str(service_dir)],
        env={"PATH": os.environ["PATH"], **reaper.environment()},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert wait_for(record.exists, timeout=15), "the run script did not start the process"
        recorded = json.loads(record.read_text())
        assert recorded["argv"] == HOSTILE
        assert recorded["env"] == environment
        assert recorded["cwd"] == str(workdir)
        assert recorded["umask"] == 0o027
        assert recorded["nice"] == os.nice(0) + 2
        assert recorded["uid"] == (65534 if as_root else os.getuid())
        assert (shared_dir / "initialized").read_text() == "prepared"
        pid = int(recorded["pid"])
        assert alive(pid)

        subprocess.run([S6_SVC, "-d", str(service_dir)], check=True, timeout=30)
        assert wait_for(lambda: not alive(pid), timeout=15), "s6-svc -d did not stop the process"
        subprocess.run([S6_SVC, "-x", str(service_dir)], check=True, timeout=30)
        assert supervisor.wait(timeout=15) == 0
        assert not list(shared_dir.rglob("pwned")) and not list(tmp_path.rglob("pwned"))
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


# Readiness ---------------------------------------------------------------------------------

S6_SVWAIT = shutil.which("s6-svwait")
WAIT_READY = "/nix/store/" + "7" * 32 + "-nixproc/bin/nixproc-wait-ready"


def test_readiness_notifies_through_s6_notifyoncheck() -> None:
    process = managed(name="web", foregroundProcess="/bin/web", readiness={"tcpPort": 80, "timeout": 2.5, "interval": 0.2})
    files = files_under(generate(process, SETTINGS, S6RCComposition(wait_ready=WAIT_READY)).files, "web-srv")
    plain = files_under(generate(managed(name="web", foregroundProcess="/bin/web"), SETTINGS).files, "web-srv")
    assert set(files) - set(plain) == {"notification-fd", "timeout-up", "data/check"}
    assert (files["notification-fd"], files["timeout-up"]) == ("3\n", "2700\n")
    assert execline_words(files["run"])[:7] == ["/usr/bin/s6-notifyoncheck", "-w", "200", "-T", "2500", "-n", "0"]
    assert execline_words(files["run"])[7:] == execline_words(plain["run"])
    assert execline_words(files["data/check"]) == [
        WAIT_READY, "--name", "web", "--timeout", "2.5", "--interval", "0.2", "--once", "--tcp-port", "80"
    ]


def test_readiness_check_files_are_executable_and_well_formed(tmp_path: Path) -> None:
    generated = generate(managed(name="web", foregroundProcess="/bin/web", readiness={"logLine": "^up$"}), SETTINGS)
    check = generated.files["etc/s6/sv/web-srv/data/check"]
    assert isinstance(check, GeneratedFile) and check.executable
    assert execline_words(check.content)[-4:] == ["--log-line", "^up$", "--log-file", "/var/log/s6-log/web/current"]
    write_output(generated.files, tmp_path / "profile")
    assert check_source_directory(tmp_path / "profile/etc/s6/sv")["web-srv"].type == "longrun"


def test_a_daemon_leaves_readiness_to_the_switch() -> None:
    ready = generate(managed(name="d", daemon="/bin/d", readiness={"tcpPort": 80}), SETTINGS)
    assert ready.files == generate(managed(name="d", daemon="/bin/d"), SETTINGS).files


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_readiness_command_lexes_exactly(value: str) -> None:
    process = managed(name="x", foregroundProcess="/bin/x", readiness={"command": [f"/opt/{value}/check", value, "}"]})
    check = files_under(generate(process, SETTINGS).files, "x-srv")["data/check"]
    assert execline_words(check)[-4:] == ["--", f"/opt/{value}/check", value, "}"]


def readiness_service(tmp_path: Path, reaper: Reaper, delay: float, **readiness: Any) -> tuple[Path, int]:
    """A supervised server listening after ``delay`` seconds; its ``readiness`` checks its port unless told otherwise."""
    port = free_port()
    process = managed(name="server", **delayed_server(port, delay, reaper.environment(), SYSTEM_PYTHON, **readiness),
                      overrides={"s6-rc": {"autoGenerateLogService": False}})
    write_output(generate(process, BackendSettings(tmp_dir=str(tmp_path))).files, tmp_path / "out")
    service_dir = tmp_path / "out/etc/s6/sv/server"
    subprocess.Popen([S6_SUPERVISE, str(service_dir)], env={"PATH": os.environ["PATH"], **reaper.environment()},
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    # s6-svwait needs the supervisor's control files; before they exist it fails at once.
    assert wait_for(lambda: (service_dir / "event").is_dir() and (service_dir / "supervise/status").exists(),
                    timeout=15), "s6-supervise did not start"
    return service_dir, port


@pytest.mark.integration
def test_s6_svwait_returns_once_the_process_is_ready(tmp_path: Path, reaper: Reaper) -> None:
    assert S6_SUPERVISE is not None and S6_SVC is not None and S6_SVWAIT is not None, "s6 is required (Debian: s6)"
    service_dir, port = readiness_service(tmp_path, reaper, delay=1.5, timeout=20)
    begun = time.monotonic()
    waited = subprocess.run([S6_SVWAIT, "-U", "-t", "20000", str(service_dir)], capture_output=True, timeout=60)
    assert waited.returncode == 0, waited.stderr
    assert time.monotonic() - begun >= 1.2 and accepts(port)
    subprocess.run([S6_SVC, "-dx", str(service_dir)], check=True, timeout=30)


@pytest.mark.integration
def test_a_process_that_never_gets_ready_is_never_up_ready(tmp_path: Path, reaper: Reaper) -> None:
    assert S6_SUPERVISE is not None and S6_SVC is not None and S6_SVWAIT is not None, "s6 is required (Debian: s6)"
    service_dir, port = readiness_service(tmp_path, reaper, delay=0, tcpPort=free_port(), timeout=1)
    assert wait_for(lambda: accepts(port), timeout=15), "the server did not start"
    waited = subprocess.run([S6_SVWAIT, "-U", "-t", "3000", str(service_dir)], capture_output=True, timeout=60)
    assert waited.returncode != 0
    assert accepts(port)
    subprocess.run([S6_SVC, "-dx", str(service_dir)], check=True, timeout=30)
