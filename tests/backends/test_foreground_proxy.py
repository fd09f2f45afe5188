"""The foreground proxy (SPEC §2.4), rendered and run for real with bash, and nixproc-chainload-user.

The runtime tests run the proxy script directly (as a process manager
would), with programs written by the tests that record what they receive.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend_checks import HOSTILE, Reaper, alive, bash_syntax_ok, python_program, read_pid, shellcheck_ok, wait_for
from nixproc_disnix.backends.common.foreground_proxy import (
    ForegroundProxy,
    ForegroundProxyParams,
    ProxyTools,
    foreground_proxy,
)
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER
from nixproc_disnix.errors import EvalError

REPOSITORY = Path(__file__).resolve().parents[2]

RECORDER = """
import json, os, sys
umask = os.umask(0)
with open(os.environ["RECORD"], "w") as out:
    json.dump({"argv": sys.argv[1:], "hostile": os.environ.get("HOSTILE"), "cwd": os.getcwd(), "umask": umask}, out)
"""

# Forks; the child writes its PID file, records the signals it gets, and ends on TERM.
DAEMON = """
import os, signal, sys, time
pid_file, log = sys.argv[1], sys.argv[2]
ready_read, ready_write = os.pipe()
if os.fork() > 0:
    os.read(ready_read, 1)
    os._exit(0)
os.setsid()
def record(number, frame):
    with open(log, "a") as handle:
        handle.write(signal.Signals(number).name + "\\n")
    if number == signal.SIGTERM:
        os._exit(0)
signal.signal(signal.SIGTERM, record)
signal.signal(signal.SIGINT, record)
with open(pid_file + ".new", "w") as handle:
    handle.write(f"{os.getpid()}\\n")
os.rename(pid_file + ".new", pid_file)
os.write(ready_write, b"x")
while True:
    time.sleep(1)
"""


def params(**overrides: object) -> ForegroundProxyParams:
    values: dict[str, object] = {"name": "webapp", "executable": "/bin/webapp", "wrap_daemon": False, "runtime_dir": "/run"}
    return ForegroundProxyParams.model_validate(values | overrides)


def installed(proxy: ForegroundProxy, root: Path) -> Path:
    """The proxy written under ``root`` as if ``root`` were the output."""
    path = root / proxy.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(proxy.script.content.replace(OUT_PLACEHOLDER, str(root)))
    path.chmod(0o755)
    return path


@pytest.fixture
def reaper() -> Iterator[Reaper]:
    reaper = Reaper()
    yield reaper
    reaper.kill_all()


# Rendering -------------------------------------------------------------------------------


def test_foreground_mode_replaces_itself_with_the_process() -> None:
    proxy = foreground_proxy(params(args=["-p", 5, True]))
    assert proxy.path == "bin/webapp-foregroundproxy.sh"
    assert proxy.script.executable
    assert proxy.script.content == '#! /bin/bash -e\n\nexec /bin/webapp "$@"\n'
    assert proxy.argv == [f"{OUT_PLACEHOLDER}/bin/webapp-foregroundproxy.sh", "-p", "5", "1"]
    assert proxy.executable == proxy.argv[0]
    assert shlex.split(proxy.command_line) == proxy.argv


def test_initialize_directory_umask_nice_and_user_come_in_order() -> None:
    tools = ProxyTools(shell="/bin/sh-x", chainload_user="/opt/chainload")
    proxy = foreground_proxy(
        params(initialize="mkdir -p /var/webapp\n", directory="/srv", umask="022", nice=5, user="webapp"), tools
    )
    assert proxy.script.content == (
        "#! /bin/sh-x -e\n\nmkdir -p /var/webapp\n\ncd /srv\numask 022\n\n"
        'exec nice -n 5 /opt/chainload webapp /bin/webapp "$@"\n'
    )


@pytest.mark.parametrize(
    ("pid_file", "instance_name", "expected"),
    [
        ("/T/w.pid", "webapp", "pid_file=/T/w.pid"),
        (None, "webapp", "pid_file=/run/webapp.pid"),
        (None, None, 'pid_file=/run/"$(basename /bin/webapp)".pid'),
    ],
)
def test_daemon_pid_file(pid_file: str | None, instance_name: str | None, expected: str) -> None:
    script = foreground_proxy(params(wrap_daemon=True, pid_file=pid_file, instance_name=instance_name)).script.content
    assert f"\n{expected}\n" in script
    assert '\n/bin/webapp "$@"\n' in script and "exec " not in script


@pytest.mark.parametrize(
    ("platform", "blocker"),
    [
        ("linux", 'tail --pid="$pid" -f /dev/null &'),
        ("cygwin", 'tail --pid="$pid" -f /dev/null &'),
        ("darwin", 'lsof -p "$pid" +r 3 >/dev/null 2>&1 &'),
        ("freebsd14", 'pwait "$pid" &'),
        ("sunos5", 'pwait "$pid" &'),
    ],
)
def test_blocker_follows_the_platform(platform: str, blocker: str) -> None:
    script = foreground_proxy(params(wrap_daemon=True), ProxyTools(platform=platform)).script.content
    assert f"\n{blocker}\n" in script
    shellcheck_ok(script)


def test_unknown_platform_and_bad_names_are_errors() -> None:
    with pytest.raises(EvalError, match="Don't know how to wait for process completion on system: plan9"):
        foreground_proxy(params(wrap_daemon=True), ProxyTools(platform="plan9"))
    foreground_proxy(params(), ProxyTools(platform="plan9"))
    with pytest.raises(EvalError, match="cannot name a foreground proxy script"):
        foreground_proxy(params(name="a/b"))


@pytest.mark.parametrize("wrap_daemon", [False, True])
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_pass_bash_and_shellcheck(value: str, wrap_daemon: bool) -> None:
    script = foreground_proxy(
        params(
            executable=f"/opt/{value}/bin/x",
            wrap_daemon=wrap_daemon,
            runtime_dir=f"/run/{value}",
            user=value,
            nice=value,
            directory=value,
            umask=value,
            initialize="echo initializing",
        )
    ).script.content
    bash_syntax_ok(script)
    shellcheck_ok(script)


# Running the proxy -----------------------------------------------------------------------


def test_foreground_process_gets_hostile_arguments_byte_exact(tmp_path: Path) -> None:
    odd = "it's \"q\" $(touch pwned) `touch pwned` ;#% ${HOME}\nx"
    directory = tmp_path / odd
    directory.mkdir()
    recorder = python_program(tmp_path / f"bin {odd}" / "recorder", RECORDER)
    initialized = tmp_path / "initialized"
    proxy = foreground_proxy(
        params(
            name="rec",
            executable=str(recorder),
            args=[*HOSTILE, 5],
            initialize=f"touch {shlex.quote(str(initialized))}",
            directory=str(directory),
            umask="027",
        )
    )
    script = installed(proxy, tmp_path / "out")
    record = tmp_path / "record.json"
    result = subprocess.run(
        [str(script), *proxy.argv[1:]],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "RECORD": str(record), "HOSTILE": odd},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(record.read_text()) == {
        "argv": [*HOSTILE, "5"],
        "hostile": odd,
        "cwd": str(directory),
        "umask": 0o027,
    }
    assert initialized.exists()
    assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()


@pytest.fixture
def chainload_user(tmp_path: Path) -> Path:
    """This checkout's nixproc-chainload-user as an executable, whether or not the package is installed."""
    return python_program(
        tmp_path / "tools" / "nixproc-chainload-user",
        f"import sys\nsys.path.insert(0, {str(REPOSITORY)!r})\n"
        "from nixproc_disnix.backends.common.chainload_user import main\nmain()\n",
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_initialize_runs_as_root_and_the_process_as_its_user(tmp_path: Path, chainload_user: Path) -> None:
    proxy = foreground_proxy(
        params(
            executable="/bin/sh",
            args=["-c", 'echo "process $(id -u) $(id -g) $(id -G) $1"', "sh", "a 'b'"],
            initialize='echo "initialize $(id -u)"',
            user="nobody",
        ),
        ProxyTools(chainload_user=str(chainload_user)),
    )
    script = installed(proxy, tmp_path / "out")
    result = subprocess.run([str(script), *proxy.argv[1:]], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "initialize 0\nprocess 65534 65534 65534 a 'b'\n"


def test_daemon_is_watched_and_signals_are_passed_on(tmp_path: Path, reaper: Reaper) -> None:
    runtime_dir = tmp_path / "run $(touch pwned) 'q'"
    runtime_dir.mkdir()
    daemon = python_program(tmp_path / "sbin" / "mydaemon", DAEMON)
    log = tmp_path / "signals"
    # No PID file and no instance name: the proxy looks for <runtime dir>/<basename of the daemon>.pid.
    pid_file = runtime_dir / "mydaemon.pid"
    proxy = foreground_proxy(
        params(name="mydaemon", executable=str(daemon), args=[str(pid_file), str(log)], wrap_daemon=True, runtime_dir=str(runtime_dir))
    )
    script = installed(proxy, tmp_path / "out")
    environment = {"PATH": os.environ["PATH"], **reaper.environment()}
    with subprocess.Popen([str(script), *proxy.argv[1:]], env=environment, stdout=subprocess.DEVNULL) as proxy_process:
        assert wait_for(lambda: read_pid(pid_file) is not None)
        daemon_pid = read_pid(pid_file)
        assert daemon_pid is not None and alive(daemon_pid)
        # The proxy has read the PID once its blocker runs.
        assert wait_for(lambda: any(pid != daemon_pid for pid in reaper.pids() if _is_child(pid, proxy_process.pid)))

        proxy_process.send_signal(signal.SIGINT)
        assert wait_for(lambda: log.exists() and log.read_text() == "SIGINT\n")
        assert proxy_process.poll() is None and alive(daemon_pid)

        proxy_process.send_signal(signal.SIGTERM)
        assert proxy_process.wait(timeout=10) == 0
        assert wait_for(lambda: not alive(daemon_pid))
        assert log.read_text() == "SIGINT\nSIGTERM\n"
    assert wait_for(lambda: not reaper.pids())
    assert not list(tmp_path.rglob("pwned"))


def test_proxy_ends_when_the_daemon_ends(tmp_path: Path, reaper: Reaper) -> None:
    daemon = python_program(tmp_path / "daemon", DAEMON)
    pid_file = tmp_path / "d.pid"
    proxy = foreground_proxy(
        params(executable=str(daemon), args=[str(pid_file), str(tmp_path / "log")], wrap_daemon=True, pid_file=str(pid_file))
    )
    script = installed(proxy, tmp_path / "out")
    environment = {"PATH": os.environ["PATH"], **reaper.environment()}
    with subprocess.Popen([str(script), *proxy.argv[1:]], env=environment, stdout=subprocess.DEVNULL) as proxy_process:
        assert wait_for(lambda: read_pid(pid_file) is not None)
        daemon_pid = read_pid(pid_file)
        assert daemon_pid is not None
        os.kill(daemon_pid, signal.SIGKILL)
        assert proxy_process.wait(timeout=10) == 0


def test_proxy_gives_up_without_a_pid_file(tmp_path: Path) -> None:
    # A sleep that returns at once keeps the ten attempts quick.
    python_program(tmp_path / "stubs" / "sleep", "")
    proxy = foreground_proxy(params(executable="/bin/true", wrap_daemon=True, pid_file=str(tmp_path / "never.pid")))
    script = installed(proxy, tmp_path / "out")
    result = subprocess.run(
        [str(script)], env={"PATH": f"{tmp_path / 'stubs'}:/usr/bin:/bin"}, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert result.stdout.count("Waiting for") == 9
    assert "No PID file" in result.stderr


def _is_child(pid: int, parent: int) -> bool:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) == parent
    except FileNotFoundError:
        return False


# nixproc-chainload-user ---------------------------------------------------------------------


def chainload(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixproc_disnix.backends.common.chainload_user", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "usage: nixproc-chainload-user USER COMMAND"),
        (("nobody",), "usage: nixproc-chainload-user USER COMMAND"),
        (("no-such-user-here", "/bin/true"), "unknown user: no-such-user-here"),
        (("root", "/nonexistent/program"), "cannot execute /nonexistent/program"),
    ],
)
def test_chainload_user_failures(arguments: tuple[str, ...], message: str) -> None:
    result = chainload(*arguments)
    assert result.returncode == 1
    assert result.stderr.startswith(f"nixproc-chainload-user: {message}")


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_chainload_user_switches_group_supplementary_groups_and_user() -> None:
    result = chainload("nobody", "/bin/sh", "-c", 'echo "$(id -u) $(id -g) $(id -G)"')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "65534 65534 65534\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_chainload_user_to_the_user_it_already_runs_as_only_runs_the_command() -> None:
    # The system Python as nobody (this interpreter may sit where nobody cannot read).
    result = chainload(
        "nobody", "/usr/bin/python3", "-m", "nixproc_disnix.backends.common.chainload_user",
        "nobody", "/bin/sh", "-c", 'echo "$(id -u) $(id -G)"',
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "65534 65534\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may switch to any user")
def test_chainload_user_cannot_switch_without_privileges() -> None:
    result = chainload("root", "/bin/true")
    assert result.returncode == 1 and "cannot switch to user root" in result.stderr
