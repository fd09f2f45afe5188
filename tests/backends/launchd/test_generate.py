"""The launchd generator (SPEC §3.5): golden property lists, plistlib round trips, and the keys run as launchd would.

launchd only runs on macOS, so the property lists are checked structurally
(read back with plistlib); :func:`launch` then starts what a property list
describes the way launchd does (``ProgramArguments`` or ``Program``,
``EnvironmentVariables``, ``WorkingDirectory``, ``Umask``), which runs the
foreground proxy for real.
"""
from __future__ import annotations

import json
import os
import plistlib
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from backend_checks import HOSTILE, assert_golden, bash_syntax_ok, python_program, shellcheck_ok
from nixproc_disnix.backends.common.backend import Dependency, Generated, generator
from nixproc_disnix.backends.common.foreground_proxy import ProxyTools
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile, write_output
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.launchd.generate import LaunchdComposition, generate, launchd_params
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

GOLDEN = Path(__file__).parent / "golden"
WEBAPP_EXE = "/nix/store/" + "2" * 32 + "-webapp/bin/webapp"
COMPOSITION = LaunchdComposition(
    proxy=ProxyTools(chainload_user="/nix/store/" + "1" * 32 + "-nixproc-chainload-user/bin/nixproc-chainload-user", platform="darwin")
)

RECORDER = """
import json, os, sys
with open(os.environ["RECORD"], "w") as out:
    json.dump({"argv": sys.argv[1:], "hostile": os.environ.get("HOSTILE"), "cwd": os.getcwd()}, out)
"""


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "launchd")


def webapp(**extra: Any) -> ManagedProcess:
    """The running example of SPEC §3: the webapp of §1.4, in both modes, as user webapp."""
    return managed(
        instanceName="webapp",
        process=WEBAPP_EXE,
        daemonArgs=["-D"],
        description="Simple web application",
        environment={"PORT": 5000, "PID_FILE": "/tmp/webapp.pid"},
        user="webapp",
        credentials={"groups": {"webapp": {}}, "users": {"webapp": {"group": "webapp", "description": "Webapp"}}},
        **extra,
    )


def plist_of(generated: Generated, label: str) -> dict[str, Any]:
    entry = generated.files[f"Library/LaunchDaemons/{label}.plist"]
    assert isinstance(entry, GeneratedFile) and not entry.executable
    value = plistlib.loads(entry.content.encode())
    assert isinstance(value, dict)
    return value


def launch(plist: Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Start the job ``plist`` describes as launchd does, and wait for it."""
    with plist.open("rb") as handle:
        job = plistlib.load(handle)
    argv = job.get("ProgramArguments") or [job["Program"]]
    umask = job.get("Umask")

    def apply_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        argv,
        executable=job.get("Program", argv[0]),
        env={"PATH": os.environ["PATH"], **job.get("EnvironmentVariables", {})},
        cwd=job.get("WorkingDirectory", cwd),
        preexec_fn=apply_umask,
        capture_output=True,
        timeout=30,
    )


# Golden files and layout -----------------------------------------------------------------


def test_webapp_golden() -> None:
    generated = generate(webapp(), BackendSettings(), COMPOSITION)
    assert generated.name == "webapp" and generated.passthru == {}
    assert_golden(GOLDEN / "webapp", generated)
    assert plist_of(generated, "org.nixos.webapp") == {
        "EnvironmentVariables": {"PID_FILE": "/tmp/webapp.pid", "PORT": "5000"},
        "Label": "org.nixos.webapp",
        "Program": WEBAPP_EXE,
        "UserName": "webapp",
    }


def test_nginx_with_dependencies_golden(capsys: pytest.CaptureFixture[str]) -> None:
    process = managed(
        instanceName="nginx",
        process="/nix/store/" + "3" * 32 + "-nginx-1.24.0/bin/nginx",
        args=["-p", "/var/nginx", "-c", "/nix/store/" + "4" * 32 + "-nginx.conf"],
        foregroundProcessExtraArgs=["-g", "daemon off;"],
        initialize="mkdir -p /var/nginx/logs\n",
        path=["/nix/store/" + "6" * 32 + "-coreutils-9.1"],
        user="nginx",
        credentials={"groups": {"nginx": {}}, "users": {"nginx": {"group": "nginx"}}},
    ).model_copy(update={"dependencies": [Dependency("webapp")]})
    generated = generate(process, BackendSettings(), COMPOSITION)
    assert capsys.readouterr().err == (
        "trace: WARNING: process 'nginx' has dependencies, but launchd has no notion of them: "
        "it may start the process before the processes it depends on\n"
    )
    assert_golden(GOLDEN / "nginx", generated)
    proxy = generated.files["bin/nginx-foregroundproxy.sh"]
    assert isinstance(proxy, GeneratedFile) and proxy.executable
    bash_syntax_ok(proxy.content)
    shellcheck_ok(proxy.content)
    job = plist_of(generated, "org.nixos.nginx")
    assert job["Program"] == f"{OUT_PLACEHOLDER}/bin/nginx-foregroundproxy.sh"
    assert job["ProgramArguments"][1:] == ["-p", "/var/nginx", "-c", "/nix/store/" + "4" * 32 + "-nginx.conf", "-g", "daemon off;"]
    # initialize runs as root, then the proxy switches to the user: no UserName.
    assert "UserName" not in job
    assert f'exec {COMPOSITION.proxy.chainload_user} nginx /nix/store/' in proxy.content


def test_daemon_only_process_runs_under_the_wrapping_proxy() -> None:
    process = managed(instanceName="w", daemon="/bin/w", daemonArgs=["-D", 7], user="u", umask="027", nice="-5", directory="/srv")
    generated = generate(process, BackendSettings(), COMPOSITION)
    job = plist_of(generated, "org.nixos.w")
    assert job == {
        "Label": "org.nixos.w",
        "Program": f"{OUT_PLACEHOLDER}/bin/w-foregroundproxy.sh",
        "ProgramArguments": [f"{OUT_PLACEHOLDER}/bin/w-foregroundproxy.sh", "-D", "7"],
        "UserName": "u",
        "Umask": 0o027,
        "Nice": -5,
        "WorkingDirectory": "/srv",
    }
    proxy = generated.files["bin/w-foregroundproxy.sh"]
    assert isinstance(proxy, GeneratedFile)
    # launchd is macOS: the proxy waits for the daemon with lsof.
    assert '\nlsof -p "$pid" +r 3 >/dev/null 2>&1 &\n' in proxy.content
    assert '\n/bin/w "$@"\n' in proxy.content


def test_umask_as_a_nix_integer_means_its_octal_digits() -> None:
    assert plist_of(generate(managed(name="x", process="/bin/x", umask=22), BackendSettings()), "org.nixos.x")["Umask"] == 0o22
    with pytest.raises(EvalError, match="umask '0x9' of process 'x' is not a number launchd can use"):
        generate(managed(name="x", process="/bin/x", umask="0x9"), BackendSettings())


def test_user_changes_disabled() -> None:
    generated = generate(webapp(initialize="true"), BackendSettings(force_disable_user_change=True), COMPOSITION)
    job = plist_of(generated, "org.nixos.webapp")
    proxy = generated.files["bin/webapp-foregroundproxy.sh"]
    assert isinstance(proxy, GeneratedFile)
    assert "UserName" not in job and "chainload" not in proxy.content
    assert not any(path.startswith("dysnomia-support/") for path in generated.files)
    assert "UserName" not in plist_of(generate(webapp(), BackendSettings(force_disable_user_change=True)), "org.nixos.webapp")


def test_dysnomia_support_files() -> None:
    generated = generate(webapp(), BackendSettings(), COMPOSITION)
    assert generated.files["dysnomia-support/groups/webapp"] == GeneratedFile("\n")
    assert generated.files["dysnomia-support/users/webapp"] == GeneratedFile("description='Webapp'\ngroup='webapp'\n\n")


def test_errors_name_the_process() -> None:
    with pytest.raises(EvalError, match="launchd process name 'a/b' cannot name its output"):
        generate(managed(name="a/b", process="/bin/x"), BackendSettings())
    with pytest.raises(EvalError, match="process 'x' has neither a foreground process nor a daemon"):
        generate(managed(name="x"), BackendSettings())
    with pytest.raises(EvalError, match="launchd label 'a/b' of process 'x' cannot name a property list file"):
        generate(managed(name="x", process="/bin/x", overrides={"launchd": {"Label": "a/b"}}), BackendSettings())
    with pytest.raises(EvalError, match="value 'Sockets.listener' of launchd daemon 'x' is a function"):
        generate(managed(name="x", process="/bin/x", overrides={"launchd": {"Sockets": {"listener": lambda: 1}}}), BackendSettings())
    with pytest.raises(EvalError, match="value 'ProgramArguments\\[1\\]' of launchd daemon 'x' contains a character XML cannot hold"):
        generate(managed(name="x", foregroundProcess="/bin/x", foregroundProcessArgs=["\x01"]), BackendSettings())
    with pytest.raises(EvalError, match="environment variable name 'A=B' of process 'x'"):
        generate(managed(name="x", process="/bin/x", environment={"A=B": "1"}), BackendSettings())


# Overrides ------------------------------------------------------------------------------


def test_overrides_merge_into_generated_parameters() -> None:
    process = webapp(
        overrides={
            "launchd": {
                "EnvironmentVariables": {"EXTRA": 1.5},
                "KeepAlive": {"SuccessfulExit": False},
                "RunAtLoad": True,
                "StandardOutPath": "/var/log/webapp.log",
                "UserName": None,
                "path": ["/opt/tools"],
                "Label": "local.webapp",
            }
        }
    )
    generated = generate(process, BackendSettings())
    assert plist_of(generated, "local.webapp") == {
        "EnvironmentVariables": {"EXTRA": "1.500000", "PATH": "/opt/tools/bin", "PID_FILE": "/tmp/webapp.pid", "PORT": "5000"},
        "KeepAlive": {"SuccessfulExit": False},
        "Label": "local.webapp",
        "Program": WEBAPP_EXE,
        "RunAtLoad": True,
        "StandardOutPath": "/var/log/webapp.log",
    }


def test_function_override_sees_the_generated_parameters() -> None:
    seen: dict[str, Any] = {}

    def override(arguments: dict[str, Any]) -> dict[str, Any]:
        seen.update(arguments)
        return {key: value for key, value in arguments.items() if key != "ProgramArguments"} | {"Program": "/bin/other"}

    process = managed(name="x", daemon="/bin/x", daemonArgs=["-D"], overrides={"launchd": override})
    params, proxy = launchd_params(process, BackendSettings())
    assert proxy is not None and seen["ProgramArguments"] == [proxy.executable, "-D"]
    generated = generate(process, BackendSettings())
    # The job no longer names the proxy, so the proxy is not written.
    assert set(generated.files) == {"Library/LaunchDaemons/org.nixos.x.plist"}
    assert plist_of(generated, "org.nixos.x") == {"Label": "org.nixos.x", "Program": "/bin/other"}


def test_native_create_agrees_with_generate() -> None:
    through_generate = generate(managed(name="w", foregroundProcess="/bin/w", directory="/srv"), BackendSettings())
    native = generator("launchd").create({"name": "w", "Program": "/bin/w", "WorkingDirectory": "/srv"}, BackendSettings())
    assert native == through_generate


# Hostile values -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*HOSTILE, "cr\rlf\r\n", "<xml> &amp; ]]> </string>"])
def test_hostile_values_read_back_exactly(value: str) -> None:
    process = managed(
        name="x",
        foregroundProcess=f"/opt/{value}/bin/x",
        foregroundProcessArgs=[value, "plain"],
        environment={"HOSTILE": value},
        directory=value,
        user=value,
    )
    job = plist_of(generate(process, BackendSettings()), "org.nixos.x")
    assert job == {
        "Label": "org.nixos.x",
        "Program": f"/opt/{value}/bin/x",
        "ProgramArguments": [f"/opt/{value}/bin/x", value, "plain"],
        "EnvironmentVariables": {"HOSTILE": value},
        "WorkingDirectory": value,
        "UserName": value,
    }


@pytest.mark.parametrize("with_proxy", [False, True])
def test_jobs_run_with_exact_arguments_and_environment(tmp_path: Path, with_proxy: bool) -> None:
    hostile = "it's \"q\" $(touch pwned) `touch pwned` ;#% %(here)s\r\nline two\t${HOME} & | > *"
    workdir = tmp_path / f"work {hostile.splitlines()[0]}"
    workdir.mkdir()
    recorder = python_program(tmp_path / "recorder", RECORDER)
    record = tmp_path / "record.json"
    initialized = tmp_path / "initialized"
    process = managed(
        name="recorder",
        foregroundProcess=str(recorder),
        foregroundProcessArgs=[*HOSTILE, hostile, 42],
        environment={"RECORD": str(record), "HOSTILE": hostile},
        directory=str(workdir),
        initialize=f"touch {shlex.quote(str(initialized))}" if with_proxy else "",
    )
    generated = generate(process, BackendSettings(), LaunchdComposition(proxy=ProxyTools()))
    assert ("bin/recorder-foregroundproxy.sh" in generated.files) == with_proxy
    write_output(generated.files, tmp_path / "out")
    result = launch(tmp_path / "out/Library/LaunchDaemons/org.nixos.recorder.plist", tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(record.read_text()) == {"argv": [*HOSTILE, hostile, "42"], "hostile": hostile, "cwd": str(workdir)}
    assert initialized.exists() == with_proxy
    assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()
