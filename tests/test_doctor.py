"""``nixproc doctor``'s library: finding tools on PATH, reading their versions, judging each component.

Most tests put fake executables (shell scripts printing versions the way the
real tools do) alone on PATH; one runs against this machine as it is.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from nixproc_disnix.doctor import COMPONENTS, Tool, diagnose, probe_tool
from nixproc_disnix.model.doctor import CheckStatus, ComponentStatus, DoctorReport

# command -> script body (after #!/bin/sh); each prints what the real tool prints.
FAKES = {
    "bash": 'echo "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)"',
    "supervisord": "echo 4.2.5",
    "supervisorctl": 'echo "Error: option --version not recognized" >&2; exit 2',
    "dot": 'echo "dot - graphviz version 2.43.0 (0)" >&2; exit 1',
    "systemctl": 'echo "systemd 252 (252.38-1~deb12u1)"; echo "+PAM +AUDIT +SELINUX"',
    "docker": 'echo "Docker version 20.10.24+dfsg1, build 297e128"',
    "daemon": "echo daemon-0.8",
    "nix-instantiate": 'echo "nix-instantiate (Nix) 2.8.0"',
    "launchctl": 'test "$1" = version && echo "Darwin Bootstrapper Version 7.0.0: Tue Jan  1 launchd-842"',
    "s6-svscan": 'touch "$(dirname "$0")/s6-was-run"; echo usage >&2; exit 100',
    "s6-rc": "exit 100",
    "s6-rc-compile": "exit 100",
    "shellcheck": "printf 'ShellCheck - shell script analysis tool\\nversion: 0.9.0\\nlicense: GPLv3\\n'",
}


@pytest.fixture
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only the fake tools (and a non-executable 'dysnomia', which does not count)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command, body in FAKES.items():
        script = bin_dir / command
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    (bin_dir / "dysnomia").write_text("#!/bin/sh\necho dysnomia 0.10\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def by_name(report: DoctorReport) -> dict[str, ComponentStatus]:
    return {component.name: component for component in report.components}


def versions(component: ComponentStatus) -> dict[str, str | None]:
    return {tool.command: tool.version for tool in component.tools}


def test_versions_from_stdout_stderr_and_failing_tools(fake_path: Path) -> None:
    report = by_name(diagnose(platform="linux"))
    assert versions(report["sysvinit"]) == {"bash": "5.2.15"}
    assert versions(report["supervisord"]) == {"supervisord": "4.2.5", "supervisorctl": None}
    assert versions(report["graphviz"]) == {"dot": "2.43.0"}
    assert versions(report["systemd"]) == {"systemctl": "252", "systemd-analyze": None}
    assert versions(report["docker"]) == {"docker": "20.10.24+dfsg1", "dockerd": None}
    assert versions(report["daemon"]) == {"daemon": "0.8"}
    assert versions(report["shellcheck"]) == {"shellcheck": "0.9.0"}


def test_paths_and_availability(fake_path: Path) -> None:
    report = by_name(diagnose(platform="linux"))
    bash = report["sysvinit"].tools[0]
    assert bash.found and bash.path == str(fake_path / "bash")
    for name in ("sysvinit", "supervisord", "docker", "s6-rc", "daemon", "graphviz", "shellcheck"):
        assert report[name].available, report[name]
        assert report[name].hint is None


def test_optional_tools_do_not_make_a_component_unavailable(fake_path: Path) -> None:
    docker = by_name(diagnose(platform="linux"))["docker"]
    dockerd = next(tool for tool in docker.tools if tool.command == "dockerd")
    assert docker.available and not dockerd.found and not dockerd.required


def test_missing_tools_name_what_to_install(fake_path: Path) -> None:
    report = by_name(diagnose(platform="linux"))
    nix = report["nix"]
    assert not nix.available
    assert [tool.found for tool in nix.tools] == [True, False, False]
    assert nix.hint == "apt-get install nix-bin"
    assert not report["disnix"].available
    assert not any(tool.found for tool in report["disnix"].tools)  # dysnomia exists but is not executable
    assert "nix-env -iA nixpkgs.disnix" in (report["disnix"].hint or "")


def test_tools_without_a_version_flag_are_not_run(fake_path: Path) -> None:
    s6 = by_name(diagnose(platform="linux"))["s6-rc"]
    assert all(tool.found and tool.version is None for tool in s6.tools)
    assert not (fake_path / "s6-was-run").exists()


def test_platform_bound_components(fake_path: Path) -> None:
    linux = by_name(diagnose(platform="linux"))
    assert not linux["launchd"].available and linux["launchd"].hint == "macOS only"
    assert linux["launchd"].tools[0].found  # found, but of no use here
    assert linux["cygrunsrv"].hint == "Cygwin only"
    assert linux["bsdrc"].hint == "FreeBSD only"

    darwin = by_name(diagnose(platform="darwin"))
    assert darwin["launchd"].available
    assert versions(darwin["launchd"]) == {"launchctl": "7.0.0"}
    assert darwin["systemd"].hint == "Linux only" and darwin["systemd"].checks == []
    assert darwin["sysvinit"].hint == "Linux only"


def test_a_failed_check_makes_the_component_unavailable_and_explains(fake_path: Path) -> None:
    def not_init() -> CheckStatus:
        return CheckStatus(name="systemd is PID 1", ok=False, detail="systemd is not PID 1")

    def init() -> CheckStatus:
        return CheckStatus(name="systemd is PID 1", ok=True, detail="systemd is PID 1")

    systemd = next(component for component in COMPONENTS if component.name == "systemd")
    down = diagnose(platform="linux", components=(dataclasses.replace(systemd, checks=(not_init,)),))
    assert not down.components[0].available and down.components[0].hint == "systemd is not PID 1"
    up = diagnose(platform="linux", components=(dataclasses.replace(systemd, checks=(init,)),))
    assert up.components[0].available and up.components[0].checks[0].ok


def test_a_hanging_version_query_times_out_with_its_children(tmp_path: Path) -> None:
    script = tmp_path / "hangs"
    script.write_text("#!/bin/sh\nsleep 30\necho 1.0\n")  # sleep is a child holding the pipes
    script.chmod(0o755)
    started = time.monotonic()
    status = probe_tool(Tool(str(script)), timeout=0.3)
    assert status.found and status.version is None
    assert time.monotonic() - started < 10


def test_this_machine() -> None:
    """Run for real: bash is certainly here, and the report survives its JSON form."""
    report = diagnose()
    sysvinit = by_name(report)["sysvinit"]
    assert sysvinit.tools[0].found and sysvinit.tools[0].version
    assert sysvinit.available
    assert [component.name for component in report.components] == [component.name for component in COMPONENTS]
    assert DoctorReport.parse_json(report.render_json()) == report
