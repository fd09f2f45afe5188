"""The cygrunsrv generator (SPEC §3.6): golden parameter files, checked line by line and with shlex.

cygrunsrv only runs on Windows. The tests read the file as Dysnomia hands it
to ``cygrunsrv --install`` (one argument per line), parse ``--args`` back
with shlex, and start what the file describes (``--path`` with those
arguments and ``--env`` values), which runs the foreground proxy for real.
"""
from __future__ import annotations

import json
import os
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
from nixproc_disnix.backends.cygrunsrv.generate import CygrunsrvComposition, cygrunsrv_params, generate
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

GOLDEN = Path(__file__).parent / "golden"
WEBAPP_EXE = "/nix/store/" + "2" * 32 + "-webapp/bin/webapp"
FLAGS = {"--shutdown"}
"""Options without a value line."""

RECORDER = """
import json, os, sys
umask = os.umask(0)
with open(os.environ["RECORD"], "w") as out:
    json.dump({"argv": sys.argv[1:], "hostile": os.environ.get("HOSTILE"), "cwd": os.getcwd(), "umask": umask}, out)
"""


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "cygrunsrv")


def webapp(**extra: Any) -> ManagedProcess:
    """The running example of SPEC §3: the webapp of §1.4 (its user only gives a warning here)."""
    return managed(
        instanceName="webapp",
        process=WEBAPP_EXE,
        daemonArgs=["-D"],
        description="Simple web application",
        environment={"PORT": 5000, "PID_FILE": "/tmp/webapp.pid"},
        user="webapp",
        credentials={"groups": {"webapp": {}}, "users": {"webapp": {"group": "webapp"}}},
        **extra,
    )


def parameters(generated: Generated) -> list[tuple[str, str | None]]:
    """The options of the parameters file, as cygrunsrv receives them (each line one argument)."""
    [path] = [path for path in generated.files if path.endswith("-cygrunsrvparams")]
    entry = generated.files[path]
    assert isinstance(entry, GeneratedFile) and not entry.executable
    assert path == f"{generated.name}-cygrunsrvparams"
    lines = entry.content.split("\n")
    assert lines.pop() == ""
    options: list[tuple[str, str | None]] = []
    while lines:
        option = lines.pop(0)
        assert option.startswith("--"), option
        options.append((option, None if option in FLAGS else lines.pop(0)))
    return options


def environment_value(line: str) -> tuple[str, str]:
    """An ``--env`` value written as upstream does: ``'NAME=value'``, ``\\'`` for a quote."""
    assert line.startswith("'") and line.endswith("'")
    name, value = line[1:-1].replace("\\'", "'").split("=", 1)
    return name, value


# Golden files and layout -----------------------------------------------------------------


def test_webapp_golden(capsys: pytest.CaptureFixture[str]) -> None:
    generated = generate(webapp(), BackendSettings())
    assert generated.name == "nix-process-webapp" and generated.passthru == {}
    assert capsys.readouterr().err == (
        "trace: WARNING: process 'webapp' asks for a user or accounts, which cygrunsrv services cannot have: "
        "Cygwin maps Windows users to UNIX users itself\n"
    )
    assert_golden(GOLDEN / "webapp", generated)
    assert parameters(generated) == [
        ("--path", WEBAPP_EXE),
        ("--disp", "nix-process-webapp"),
        ("--env", "'PID_FILE=/tmp/webapp.pid'"),
        ("--env", "'PORT=5000'"),
    ]


def test_nginx_after_webapp_golden(capsys: pytest.CaptureFixture[str]) -> None:
    webapp_output = generate(webapp(), BackendSettings())
    process = managed(
        instanceName="nginx",
        process="/nix/store/" + "3" * 32 + "-nginx-1.24.0/bin/nginx",
        args=["-p", "/var/nginx", "-c", "/nix/store/" + "4" * 32 + "-nginx.conf"],
        foregroundProcessExtraArgs=["-g", "daemon off;"],
        initialize="mkdir -p /var/nginx/logs\n",
        path=["/nix/store/" + "6" * 32 + "-coreutils-9.1"],
    ).model_copy(update={"dependencies": [Dependency(webapp_output.name)]})
    capsys.readouterr()
    generated = generate(process, BackendSettings(), CygrunsrvComposition(proxy=ProxyTools(platform="cygwin")))
    assert capsys.readouterr().err == ""
    assert_golden(GOLDEN / "nginx", generated)
    proxy = generated.files["bin/nginx-foregroundproxy.sh"]
    assert isinstance(proxy, GeneratedFile) and proxy.executable
    bash_syntax_ok(proxy.content)
    shellcheck_ok(proxy.content)
    options = dict(parameters(generated))
    assert options["--path"] == f"{OUT_PLACEHOLDER}/bin/nginx-foregroundproxy.sh"
    assert options["--dep"] == "nix-process-webapp"
    assert shlex.split(options["--args"] or "") == [
        "-p", "/var/nginx", "-c", "/nix/store/" + "4" * 32 + "-nginx.conf", "-g", "daemon off;"
    ]


def test_daemon_only_process_runs_under_the_wrapping_proxy() -> None:
    process = managed(instanceName="w", daemon="/bin/w", daemonArgs=["-D"], directory="/srv", umask="027", nice=3)
    generated = generate(process, BackendSettings(runtime_dir="/R"))
    proxy = generated.files["bin/w-foregroundproxy.sh"]
    assert isinstance(proxy, GeneratedFile)
    # As upstream, the instance name does not reach the proxy: the PID file is named after the executable.
    assert '\npid_file=/R/"$(basename /bin/w)".pid\n' in proxy.content
    assert "\ncd /srv\numask 027\n" in proxy.content and '\nnice -n 3 /bin/w "$@"\n' in proxy.content
    assert parameters(generated) == [
        ("--path", f"{OUT_PLACEHOLDER}/bin/w-foregroundproxy.sh"),
        ("--disp", "nix-process-w"),
        ("--args", "'-D'"),
    ]


@pytest.mark.parametrize("setting", [{"nice": 1}, {"directory": "/srv"}, {"umask": "022"}, {"initialize": "true"}])
def test_foreground_process_needs_the_proxy_only_for_what_cygrunsrv_cannot_do(setting: dict[str, Any]) -> None:
    generated = generate(managed(name="x", foregroundProcess="/bin/x", **setting), BackendSettings())
    assert "bin/x-foregroundproxy.sh" in generated.files
    assert set(generate(managed(name="x", foregroundProcess="/bin/x"), BackendSettings()).files) == {
        "nix-process-x-cygrunsrvparams"
    }


def test_user_changes_disabled_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert generate(webapp(), BackendSettings(force_disable_user_change=True)) == generate(webapp(), BackendSettings())


def test_errors_name_the_process() -> None:
    with pytest.raises(EvalError, match="cygrunsrv process name 'a b' cannot name its output"):
        generate(managed(name="a b", process="/bin/x"), BackendSettings())
    with pytest.raises(EvalError, match="process 'x' has neither a foreground process nor a daemon"):
        generate(managed(name="x"), BackendSettings())
    with pytest.raises(EvalError, match="--args of cygrunsrv service 'nix-process-x' contains a line break"):
        generate(managed(name="x", foregroundProcess="/bin/x", foregroundProcessArgs=["a\nb"]), BackendSettings())
    with pytest.raises(EvalError, match="--env of cygrunsrv service 'nix-process-x' contains a line break"):
        generate(managed(name="x", process="/bin/x", environment={"A": "a\nb"}), BackendSettings())
    with pytest.raises(EvalError, match="environment variable name 'A B' of process 'x'"):
        generate(managed(name="x", process="/bin/x", environment={"A B": "1"}), BackendSettings())
    with pytest.raises(EvalError, match="cygrunsrv parameters of process 'x': credentials"):
        generate(managed(name="x", process="/bin/x", overrides={"cygrunsrv": {"credentials": {}}}), BackendSettings())
    with pytest.raises(EvalError, match="createCygrunsrvParams: path"):
        generator("cygrunsrv").create({"name": "x"}, BackendSettings())


# Overrides ------------------------------------------------------------------------------


def test_overrides_merge_into_generated_parameters() -> None:
    process = managed(
        name="x",
        process="/bin/x",
        environment={"A": "1"},
        overrides={
            "cygrunsrv": {
                "environment": {"B": "it's"},
                "displayName": "The X service",
                "type": "manual",
                "user": "cyg_server",
                "password": "secret",
                "stdin": "/dev/null",
                "stdout": "/var/log/x.out",
                "stderr": "/var/log/x.err",
                "terminateSignal": "INT",
                "terminateOnShutdown": True,
                "environmentPath": ["/opt/tools"],
            }
        },
    )
    assert parameters(generate(process, BackendSettings())) == [
        ("--path", "/bin/x"),
        ("--disp", "The X service"),
        ("--type", "manual"),
        ("--env", "'A=1'"),
        ("--env", "'B=it\\'s'"),
        ("--env", "'PATH=/opt/tools/bin'"),
        ("--user", "cyg_server"),
        ("--passwd", "secret"),
        ("--stdin", "/dev/null"),
        ("--stdout", "/var/log/x.out"),
        ("--stderr", "/var/log/x.err"),
        ("--termsig", "INT"),
        ("--shutdown", None),
    ]


def test_function_override_sees_the_generated_parameters() -> None:
    seen: dict[str, Any] = {}

    def override(arguments: dict[str, Any]) -> dict[str, Any]:
        seen.update(arguments)
        return {**arguments, "path": "/bin/other", "args": [1, True]}

    process = managed(name="x", daemon="/bin/x", daemonArgs=["-D"], overrides={"cygrunsrv": override})
    params, proxy = cygrunsrv_params(process, BackendSettings())
    assert proxy is not None and seen["path"] == proxy.executable and seen["args"] == ["-D"]
    generated = generate(process, BackendSettings())
    # The service no longer runs the proxy, so the proxy is not written.
    assert set(generated.files) == {"nix-process-x-cygrunsrvparams"}
    assert parameters(generated)[0] == ("--path", "/bin/other")
    assert parameters(generated)[2] == ("--args", "'1' '1'")


def test_native_create_agrees_with_generate() -> None:
    through_generate = generate(managed(name="w", foregroundProcess="/bin/w", foregroundProcessArgs=["-v"]), BackendSettings())
    native = generator("cygrunsrv").create({"name": "w", "path": "/bin/w", "args": ["-v"]}, BackendSettings())
    assert native == through_generate


# Hostile values -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [value for value in HOSTILE if "\n" not in value])
def test_hostile_values_stay_within_their_lines(value: str) -> None:
    process = managed(
        name="x",
        foregroundProcess=f"/opt/{value}/bin/x",
        foregroundProcessArgs=[value, "plain", value],
        environment={"HOSTILE": value},
    )
    options = parameters(generate(process, BackendSettings()))
    assert options[0] == ("--path", f"/opt/{value}/bin/x")
    assert options[2][0] == "--args" and shlex.split(options[2][1] or "") == [value, "plain", value]
    assert options[3][0] == "--env" and environment_value(options[3][1] or "") == ("HOSTILE", value)
    assert len(options) == 4


def test_service_runs_with_exact_arguments_and_environment(tmp_path: Path) -> None:
    hostile = "it's \"q\" $(touch pwned) `touch pwned` ;#% %(here)s \\' \t${HOME} & | > *"
    workdir = tmp_path / "work dir $(touch pwned) 'q'"
    workdir.mkdir()
    recorder = python_program(tmp_path / "recorder", RECORDER)
    record = tmp_path / "record.json"
    initialized = tmp_path / "initialized"
    process = managed(
        name="recorder",
        foregroundProcess=str(recorder),
        foregroundProcessArgs=[*(value for value in HOSTILE if "\n" not in value), hostile],
        environment={"RECORD": str(record), "HOSTILE": hostile},
        directory=str(workdir),
        umask="027",
        initialize=f"touch {shlex.quote(str(initialized))}",
    )
    generated = generate(process, BackendSettings(), CygrunsrvComposition(proxy=ProxyTools()))
    write_output(generated.files, tmp_path / "out")
    options = parameters(generated)
    executable = (options[0][1] or "").replace(OUT_PLACEHOLDER, str(tmp_path / "out"))
    arguments = shlex.split(dict(options)["--args"] or "")
    environment = dict(environment_value(value or "") for option, value in options if option == "--env")
    result = subprocess.run(
        [executable, *arguments], env={"PATH": os.environ["PATH"], **environment}, cwd=tmp_path,
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(record.read_text()) == {
        "argv": [*(value for value in HOSTILE if "\n" not in value), hostile],
        "hostile": hostile,
        "cwd": str(workdir),
        "umask": 0o027,
    }
    assert initialized.exists()
    assert not list(tmp_path.rglob("pwned")) and not (Path.cwd() / "pwned").exists()
