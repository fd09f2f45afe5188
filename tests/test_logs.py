"""Where each backend keeps a process's output (pure), and reading, tailing and following real files."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.doctor import Component
from nixproc_disnix.errors import LogsError
from nixproc_disnix.logs import (
    LogCommand,
    LogFiles,
    LogRequest,
    LogSettings,
    SupervisordLogs,
    command_output,
    find_log_file,
    follow_log,
    last_lines,
    locate_log,
    read_log,
    supervisord_logs,
)
from nixproc_disnix.model.doctor import CheckStatus
from nixproc_disnix.model.state_dirs import StateDirs


def settings(force_disable_user_change: bool = False, **supervisord: str) -> LogSettings:
    return LogSettings(
        backend=BackendSettings(state_dir="/srv", force_disable_user_change=force_disable_user_change),
        supervisord=SupervisordLogs(child_log_dir="/var/log/supervisor", **supervisord),
    )


@pytest.mark.parametrize("manager", ["sysvinit", "bsdrc", "disnix"])
def test_daemonizer_logs_in_the_log_dir_or_for_a_user_the_tmp_dir(manager: str) -> None:
    assert locate_log(manager, "webapp", settings()) == LogFiles(
        patterns=("/srv/log/nixproc-webapp.log", "/srv/tmp/nixproc-webapp.log"))
    assert locate_log(manager, "webapp", settings(force_disable_user_change=True)) == LogFiles(
        patterns=("/srv/log/nixproc-webapp.log",))


def test_s6_log_companion_current_file() -> None:
    assert locate_log("s6-rc", "webapp", settings()) == LogFiles(patterns=("/srv/log/s6-log/webapp/current",))


def test_supervisord_auto_child_log_explicit_file_or_none() -> None:
    assert locate_log("supervisord", "webapp", settings()) == LogFiles(
        patterns=("/var/log/supervisor/webapp-stdout---supervisor-*.log",))
    assert locate_log("supervisord", "webapp", settings(identifier="sv")).patterns == (
        "/var/log/supervisor/webapp-stdout---sv-*.log",)
    assert locate_log("supervisord", "webapp", settings(stdout_logfile="/logs/w.out")).patterns == ("/logs/w.out",)
    with pytest.raises(LogsError, match="supervisord discards the output of 'webapp' \\(stdout_logfile=none\\)"):
        locate_log("supervisord", "webapp", settings(stdout_logfile="none"))


def test_cygrunsrv_default_service_log() -> None:
    assert locate_log("cygrunsrv", "webapp", settings()).patterns == ("/var/log/nix-process-webapp.log",)


def test_docker_and_journal_commands() -> None:
    docker = locate_log("docker", "webapp", settings())
    assert isinstance(docker, LogCommand) and docker.component == "docker"
    assert docker.argv(10, False) == ["docker", "logs", "--tail", "10", "nixproc-webapp"]
    assert docker.argv(0, True) == ["docker", "logs", "--tail", "0", "--follow", "nixproc-webapp"]
    journal = locate_log("systemd", "webapp", settings())
    assert isinstance(journal, LogCommand) and journal.component == "systemd"
    assert journal.argv(5, True) == ["journalctl", "--no-pager", "--lines", "5", "--follow",
                                     "--unit", "nix-process-webapp.service"]
    user = locate_log("systemd", "webapp", settings().model_copy(update={"systemd_user": True}))
    assert user.argv(5, False)[:3] == ["journalctl", "--no-pager", "--user"]


def test_launchd_and_unknown_managers_say_why() -> None:
    with pytest.raises(LogsError, match="launchd keeps no output of 'webapp' unless its plist sets StandardOutPath"):
        locate_log("launchd", "webapp", settings())
    with pytest.raises(LogsError, match="Unknown process manager: runit"):
        locate_log("runit", "webapp", settings())


def test_glob_characters_in_names_are_literal(tmp_path: Path) -> None:
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "nixproc-other.log").write_text("not mine\n")
    source = locate_log("sysvinit", "*", LogSettings(backend=BackendSettings(state_dir=str(tmp_path)),
                                                     supervisord=SupervisordLogs(child_log_dir=str(tmp_path))))
    with pytest.raises(LogsError, match=f"no output of '\\*' found: looked for {tmp_path}/log/nixproc-\\*.log, "
                                        f"{tmp_path}/tmp/nixproc-\\*.log"):
        find_log_file(source, "*")


def test_supervisord_configuration_is_read_with_its_expansions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGS_HOME", "/logs")
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nchildlogdir = %(here)s/children ; a comment\nidentifier = sv\n\n"
        "[include]\nfiles = conf.d/*\n")
    (tmp_path / "conf.d" / "webapp.conf").write_text(
        "[program:webapp]\ncommand=/bin/webapp\nstdout_logfile=%(ENV_LOGS_HOME)s/%(program_name)s.out\n")
    (tmp_path / "conf.d" / "other.conf").write_text("[program:other]\ncommand=/bin/other\n")
    assert supervisord_logs(str(tmp_path), "webapp") == SupervisordLogs(
        child_log_dir=f"{tmp_path}/children", identifier="sv", stdout_logfile="/logs/webapp.out")
    assert supervisord_logs(str(tmp_path), "other") == SupervisordLogs(
        child_log_dir=f"{tmp_path}/children", identifier="sv")
    assert supervisord_logs(None, "webapp") == SupervisordLogs(child_log_dir=tempfile.gettempdir())
    (tmp_path / "conf.d" / "webapp.conf").write_text("[program:webapp]\nstdout_logfile=%(nope)s\n")
    with pytest.raises(LogsError, match="'%\\(nope\\)s' cannot be expanded"):
        supervisord_logs(str(tmp_path), "webapp")


def write_lines(path: Path, first: int, last: int) -> None:
    """Append numbered lines from a separate process, as a daemon would."""
    subprocess.run(["sh", "-c", f'i={first}; while [ $i -le {last} ]; do echo "line $i"; i=$((i+1)); done >> "$1"',
                    "sh", str(path)], check=True)


def expected(first: int, last: int) -> bytes:
    return b"".join(b"line %d\n" % i for i in range(first, last + 1))


def test_last_lines_like_tail(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    write_lines(log, 1, 30)
    size = log.stat().st_size
    assert last_lines(str(log), 10) == (expected(21, 30), size)
    assert last_lines(str(log), 1) == (expected(30, 30), size)
    assert last_lines(str(log), 0) == (b"", size)
    assert last_lines(str(log), 100) == (expected(1, 30), size)
    log.write_bytes(b"a\nb\npartial")
    assert last_lines(str(log), 2) == (b"b\npartial", 11)
    log.write_bytes(b"")
    assert last_lines(str(log), 10) == (b"", 0)


def test_last_lines_across_read_blocks(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    write_lines(log, 1, 20000)
    assert log.stat().st_size > 3 * 65536
    assert last_lines(str(log), 9000)[0] == expected(11001, 20000)
    long_line = b"x" * 200000 + b"\n"
    log.write_bytes(b"first\n" + long_line)
    assert last_lines(str(log), 1)[0] == long_line
    assert last_lines(str(log), 2)[0] == b"first\n" + long_line


def test_read_log_takes_the_newest_of_the_places(tmp_path: Path) -> None:
    for directory in ("log", "tmp"):
        (tmp_path / directory).mkdir()
    write_lines(tmp_path / "log" / "nixproc-web.log", 1, 3)
    write_lines(tmp_path / "tmp" / "nixproc-web.log", 100, 102)
    os.utime(tmp_path / "log" / "nixproc-web.log", (1, 1))
    request = LogRequest(name="web", process_manager="sysvinit", state_dirs=StateDirs(state_dir=str(tmp_path)), lines=2)
    assert b"".join(read_log(request)) == expected(101, 102)
    request = LogRequest(name="web", process_manager="disnix", lines=2,
                         state_dirs=StateDirs(state_dir=str(tmp_path), force_disable_user_change=True))
    assert b"".join(read_log(request)) == expected(2, 3)


def test_supervisord_newest_auto_file(tmp_path: Path) -> None:
    (tmp_path / "supervisord.conf").write_text(f"[supervisord]\nchildlogdir={tmp_path}\n")
    old, new = tmp_path / "web-stdout---supervisor-aaaa.log", tmp_path / "web-stdout---supervisor-bbbb.log"
    write_lines(old, 1, 5)
    write_lines(new, 6, 9)
    os.utime(old, (1, 1))
    request = LogRequest(name="web", process_manager="supervisord", supervisord_conf_dir=str(tmp_path), lines=3)
    assert b"".join(read_log(request)) == expected(7, 9)


def test_follow_goes_on_across_rotation_and_truncation(tmp_path: Path) -> None:
    current = tmp_path / "current"
    write_lines(current, 1, 3)
    source = LogFiles(patterns=(str(current),))
    _, offset = last_lines(str(current), 10)
    follow = follow_log(source, "web", str(current), offset, interval=0.01)
    write_lines(current, 4, 5)
    assert next(follow) == expected(4, 5)
    write_lines(current, 6, 6)  # written just before s6-log rotates
    current.rename(tmp_path / "@400000000000000000000000.s")
    write_lines(current, 7, 8)
    assert next(follow) == expected(6, 6)
    assert next(follow) == expected(7, 8)
    current.write_bytes(b"")
    write_lines(current, 9, 9)
    assert next(follow) == expected(9, 9)
    follow.close()


def test_nothing_found_names_where_it_looked(tmp_path: Path) -> None:
    request = LogRequest(name="ghost", process_manager="sysvinit", state_dirs=StateDirs(log_dir="/no/log", tmp_dir="/no/tmp"))
    with pytest.raises(LogsError, match="^no output of 'ghost' found: looked for /no/log/nixproc-ghost.log, "
                                        "/no/tmp/nixproc-ghost.log$"):
        b"".join(read_log(request))


@pytest.fixture
def fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``docker`` that prints its arguments, one per line, and fails for the container ``nixproc-missing``."""
    program = tmp_path / "bin" / "docker"
    program.parent.mkdir()
    program.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n'
                       'case "$*" in *nixproc-missing*) echo "No such container" >&2; exit 1;; esac\n')
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{program.parent}:{os.environ['PATH']}")
    return program


def test_commands_run_and_pass_their_output_on(fake_docker: Path) -> None:
    request = LogRequest(name="web", process_manager="docker", lines=4, follow=True)
    assert b"".join(read_log(request)) == b"logs\n--tail\n4\n--follow\nnixproc-web\n"
    with pytest.raises(LogsError, match="^docker logs --tail 10 nixproc-missing failed \\(exit status 1\\)$"):
        b"".join(read_log(LogRequest(name="missing", process_manager="docker")))


def test_a_missing_program_or_failing_check_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    docker = locate_log("docker", "web", settings())
    with pytest.raises(LogsError, match="docker is not installed \\(apt-get install docker.io\\)"):
        b"".join(command_output(docker, "web", 10, False))
    journalctl = tmp_path / "journalctl"
    journalctl.write_text("#!/bin/sh\necho journal\n")
    journalctl.chmod(0o755)
    journal = locate_log("systemd", "web", settings())

    def systemd(ok: bool) -> Component:
        check = CheckStatus(name="systemd is PID 1", ok=ok, detail="systemd is not PID 1 (PID 1 is 'sh')")
        return Component("systemd", "process manager", (), "apt-get install systemd", checks=(lambda: check,))

    monkeypatch.setattr("nixproc_disnix.doctor.find_component", lambda name: systemd(False))
    with pytest.raises(LogsError, match="cannot read the output of 'web' with journalctl: systemd is not PID 1"):
        b"".join(command_output(journal, "web", 10, False))
    monkeypatch.setattr("nixproc_disnix.doctor.find_component", lambda name: systemd(True))
    assert b"".join(command_output(journal, "web", 10, False)) == b"journal\n"


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def ended(pid_file: Path) -> bool:
    """The process of ``pid_file`` is gone (or never wrote it)."""
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.integration
def test_real_daemonizer_output_is_read(tmp_path: Path) -> None:
    daemon = shutil.which("daemon")
    assert daemon is not None, "libslack daemon is required (Debian: apt-get install daemon)"
    log_dir, pid_file = tmp_path / "log", tmp_path / "web.pid"
    log_dir.mkdir()
    subprocess.run([daemon, "--unsafe", "--inherit", "--output", str(log_dir / "nixproc-web.log"),
                    "--pidfile", str(pid_file), "--", "sh", "-c", 'echo "to stdout"; echo "to stderr" >&2'], check=True)
    try:
        assert wait_for(lambda: (log_dir / "nixproc-web.log").exists() and ended(pid_file))
        request = LogRequest(name="web", process_manager="sysvinit", state_dirs=StateDirs(log_dir=str(log_dir)))
        assert sorted(b"".join(read_log(request)).splitlines()) == [b"to stderr", b"to stdout"]
    finally:
        if not ended(pid_file):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.mark.integration
def test_real_s6_log_current_is_read(tmp_path: Path) -> None:
    s6_log = shutil.which("s6-log")
    assert s6_log is not None, "s6-log is required (Debian: apt-get install s6)"
    (tmp_path / "s6-log").mkdir()
    subprocess.run([s6_log, str(tmp_path / "s6-log" / "web")], input=expected(1, 12), check=True, timeout=30)
    request = LogRequest(name="web", process_manager="s6-rc", state_dirs=StateDirs(log_dir=str(tmp_path)), lines=3)
    assert b"".join(read_log(request)) == expected(10, 12)


@pytest.mark.integration
def test_real_supervisord_child_log_is_read(tmp_path: Path) -> None:
    supervisord = shutil.which("supervisord")
    assert supervisord is not None, "supervisord is required (Debian: apt-get install supervisor)"
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "children").mkdir()
    (tmp_path / "supervisord.conf").write_text(
        f"[supervisord]\nlogfile={tmp_path}/supervisord.log\npidfile={tmp_path}/supervisord.pid\n"
        "childlogdir=%(here)s/children\n\n[include]\nfiles = conf.d/*.conf\n")
    (tmp_path / "conf.d" / "web.conf").write_text(
        "[program:web]\ncommand=/bin/sh -c 'i=1; while [ $i -le 12 ]; do echo \"line $i\"; i=$((i+1)); done'\n"
        "startsecs=0\nautorestart=false\n")
    process = subprocess.Popen([supervisord, "-n", "-c", str(tmp_path / "supervisord.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    request = LogRequest(name="web", process_manager="supervisord", supervisord_conf_dir=str(tmp_path), lines=2)

    def logged() -> bool:
        try:
            return b"".join(read_log(request)) == expected(11, 12)
        except LogsError:
            return False

    try:
        assert wait_for(logged), (tmp_path / "supervisord.log").read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
