"""The systemd generator (SPEC §3.3): unit layout, overrides, and hostile values read back by real systemd.

systemd cannot run as PID 1 here, so nothing is started: the units are
checked structurally, three ways. ``systemd-analyze verify`` loads them
(it also checks that ``ExecStart`` and ``ExecStartPre`` exist, so the tests
point them at real executables); ``systemd --test`` (as an unprivileged
user, which test mode requires) parses them and dumps the command lines and
environment it would use, which the tests decode and compare byte for byte;
and :mod:`.unit_syntax`, a reader written from systemd's documented
quoting rules, splits the written values back into words.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backend_checks import HOSTILE as COMMON_HOSTILE
from backend_checks import bash_syntax_ok, shellcheck_ok
from golden_files import assert_matches_golden

from nixproc_disnix.backends.common.backend import Dependency, generator
from nixproc_disnix.backends.common.output import OUT_PLACEHOLDER, GeneratedFile, Symlink, write_output
from nixproc_disnix.backends.common.readiness import WAIT_READY as WAIT_READY_INSTALLED
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.systemd.generate import SystemdComposition, generate, systemd_params
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.process import ManagedProcess, ProcessParams, resolve

from . import unit_syntax

GOLDEN = Path(__file__).parent / "golden"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
SYSTEMD = "/lib/systemd/systemd"

HOSTILE = [*COMMON_HOSTILE, "$$ $1", ";", "\\;", "%i %n", "\x01\x7f control", "ünïcødé ☃"]
"""The shared hostile values, plus what systemd's command lines treat specially."""


def managed(**params: Any) -> ManagedProcess:
    return resolve(ProcessParams.from_data(params), "systemd")


def unit_of(output: Any, name: str) -> str:
    entry = output[f"etc/systemd/system/nix-process-{name}.service"]
    assert isinstance(entry, GeneratedFile) and not entry.executable
    return str(entry.content)


def sections_of(unit: str) -> dict[str, list[tuple[str, str]]]:
    """The unit's sections, each as its ``Key=value`` lines in order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in unit.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line[1:-1], [])
        elif line:
            key, _, value = line.partition("=")
            current.append((key, value))
    return sections


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
        "overrides": {"sysvinit": {"runlevels": [3, 4, 5]}},
        **extra,
    })


SETTINGS = BackendSettings(tmp_dir="/T")


# Layout and golden outputs -------------------------------------------------------------


def test_webapp_unit_matches_golden() -> None:
    generated = generate(webapp(), SETTINGS)
    assert generated.name == "nix-process-webapp"
    assert_matches_golden(generated.files, GOLDEN / "webapp")
    assert sections_of(unit_of(generated.files, "webapp")) == {
        "Service": [
            ("ExecStart", "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-webapp/bin/webapp"),
            ("Type", "simple"),
            ("User", "webapp"),
            ("Environment", "PID_FILE=/T/webapp.pid"),
            ("Environment", "PORT=5000"),
        ],
        "Unit": [("Description", "Simple web application")],
    }


def test_dependent_unit_matches_golden() -> None:
    nginx = managed(
        instanceName="nginx",
        foregroundProcess="/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nginx/bin/nginx",
        args=["-p", "/var/nginx", "-c", "/nix/store/cccccccccccccccccccccccccccccccc-nginx.conf"],
        foregroundProcessExtraArgs=["-g", "daemon off;"],
        initialize="mkdir -p /var/nginx/logs\nchown nginx:nginx /var/nginx/logs\n",
        user="nginx",
        path=["/nix/store/dddddddddddddddddddddddddddddddd-nginx"],
        description="Nginx",
    ).model_copy(
        update={"dependencies": [Dependency("nix-process-webapp", "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-nix-process-webapp")]}
    )
    generated = generate(nginx, SETTINGS, SystemdComposition(base_packages=("/nix/store/ffffffffffffffffffffffffffffffff-coreutils",)))
    assert_matches_golden(generated.files, GOLDEN / "nginx")
    sections = sections_of(unit_of(generated.files, "nginx"))
    assert sections["Unit"][-2:] == [("Wants", "nix-process-webapp.service"), ("After", "nix-process-webapp.service")]
    assert ("ExecStartPre", f"+{OUT_PLACEHOLDER}/libexec/systemd/nginx-prestart") in sections["Service"]
    assert generated.files["etc/systemd/system/nix-process-nginx.service.wants/nix-process-webapp.service"] == Symlink(
        "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-nix-process-webapp/etc/systemd/system/nix-process-webapp.service"
    )
    assert ("Environment", "PATH=/nix/store/ffffffffffffffffffffffffffffffff-coreutils/bin:"
            "/nix/store/dddddddddddddddddddddddddddddddd-nginx/bin") in sections["Service"]


def test_prestart_script_passes_bash_and_shellcheck() -> None:
    output = generate(managed(name="x", process="/bin/x", initialize='mkdir -p "$HOME/x"\necho ready'), SETTINGS).files
    script = output["libexec/systemd/x-prestart"]
    assert isinstance(script, GeneratedFile) and script.executable
    assert script.content == '#! /bin/bash -e\nmkdir -p "$HOME/x"\necho ready\n'
    bash_syntax_ok(script.content)
    shellcheck_ok(script.content)
    # No user: the prestart runs as the service user would, without the "+" prefix.
    assert ("ExecStartPre", f"{OUT_PLACEHOLDER}/libexec/systemd/x-prestart") in sections_of(unit_of(output, "x"))["Service"]


def test_daemon_only_process_forks_with_explicit_pid_file() -> None:
    with_pid_file = managed(name="d", daemon="/bin/d", daemonArgs=["--fork"], pidFile="/run/d.pid", umask="022", nice=-5, directory="/srv/d")
    assert sections_of(unit_of(generate(with_pid_file, SETTINGS).files, "d"))["Service"] == [
        ("ExecStart", "/bin/d --fork"),
        ("Nice", "-5"),
        ("PIDFile", "/run/d.pid"),
        ("Type", "forking"),
        ("UMask", "022"),
        ("WorkingDirectory", "/srv/d"),
    ]
    # No PIDFile without an explicit one (the auto PID file is not used), nor in foreground mode.
    assert "PIDFile=" not in unit_of(generate(managed(instanceName="d", daemon="/bin/d"), SETTINGS).files, "d")
    assert "PIDFile=" not in unit_of(generate(managed(name="f", process="/bin/f", pidFile="/run/f.pid"), SETTINGS).files, "f")


def test_no_executable_leaves_exec_start_to_the_overrides() -> None:
    process = managed(name="o", overrides={"systemd": {"Service": {"Type": "oneshot", "ExecStart": "/bin/true"}}})
    assert sections_of(unit_of(generate(process, SETTINGS).files, "o"))["Service"] == [
        ("ExecStart", "/bin/true"), ("Type", "oneshot")
    ]


def test_dependency_without_known_output_links_next_to_the_unit() -> None:
    process = managed(name="b", process="/bin/b").model_copy(update={"dependencies": [Dependency("nix-process-a")]})
    assert generate(process, SETTINGS).files["etc/systemd/system/nix-process-b.service.wants/nix-process-a.service"] == Symlink(
        "../nix-process-a.service"
    )


def test_prefix_and_registry() -> None:
    generated = generate(managed(name="w", process="/bin/w"), SETTINGS, SystemdComposition(prefix="my-"))
    assert generated.name == "my-w" and "etc/systemd/system/my-w.service" in generated.files
    assert generator("systemd").generate(managed(name="w", process="/bin/w"), SETTINGS).name == "nix-process-w"
    native = generator("systemd").create({"name": "w", "Service": {"ExecStart": "/bin/w", "Type": "simple"}}, SETTINGS)
    assert native.files == generate(managed(name="w", process="/bin/w", description=None), SETTINGS).files


def test_dysnomia_support_and_post_install() -> None:
    generated = generate(webapp(postInstall="touch $out/marker"), SETTINGS)
    assert generated.files["dysnomia-support/users/webapp"] == GeneratedFile("description='Webapp'\ngroup='webapp'\n\n")
    assert generated.post_install == "touch $out/marker"


def test_force_disable_user_change_drops_user_and_root_prefix() -> None:
    process = webapp(initialize="true", overrides={"systemd": {"Service": {"Group": "webapp"}}})
    unit = unit_of(generate(process, BackendSettings(tmp_dir="/T", force_disable_user_change=True)).files, "webapp")
    keys = [key for key, _ in sections_of(unit)["Service"]]
    assert "User" not in keys and "Group" not in keys
    assert f"ExecStartPre={OUT_PLACEHOLDER}/libexec/systemd/webapp-prestart\n" in unit
    output = generate(process, BackendSettings(tmp_dir="/T", force_disable_user_change=True)).files
    assert not [path for path in output if path.startswith("dysnomia-support/")]


def test_name_errors() -> None:
    for name in ("a/b", "a b", "tmpl@inst", "x" * 220, "ünï"):
        with pytest.raises(EvalError, match="cannot form the systemd unit name"):
            generate(managed(name=name, process="/bin/x"), SETTINGS)
    with pytest.raises(EvalError, match="not a valid shell variable name"):
        generate(managed(name="x", environment={"A B": "1"}), SETTINGS)
    for executable in ("-x", "/opt/it's/x", "/opt/$x", "/opt/a\nb"):
        with pytest.raises(EvalError, match="cannot be written in a systemd command line"):
            generate(managed(name="x", process=executable), SETTINGS)
    with pytest.raises(EvalError, match="description 'C:\\\\\\\\' of process 'x' cannot be written on one line"):
        generate(managed(name="x", process="/bin/x", description="C:\\"), SETTINGS)
    with pytest.raises(EvalError, match="WorkingDirectory '/srv/a\\\\nb' of process 'x' cannot be written on one line"):
        generate(managed(name="x", process="/bin/x", directory="/srv/a\nb"), SETTINGS)


# Overrides ----------------------------------------------------------------------------


def test_overrides_deep_merge_into_sections() -> None:
    process = managed(
        name="x",
        process="/bin/x",
        environment={"A": "1"},
        overrides={
            "systemd": {
                "Service": {"Restart": "always", "RestartSec": 2},
                "Install": {"WantedBy": ["multi-user.target", "default.target"]},
                "environment": {"B": "2"},
                "Unit": {"Documentation": "man:x(8)"},
            }
        },
    )
    sections = sections_of(unit_of(generate(process, SETTINGS).files, "x"))
    assert list(sections) == ["Install", "Service", "Unit"]
    assert sections["Install"] == [("WantedBy", "multi-user.target default.target")]
    assert sections["Service"] == [
        ("ExecStart", "/bin/x"), ("Restart", "always"), ("RestartSec", "2"), ("Type", "simple"),
        ("Environment", "A=1"), ("Environment", "B=2"),
    ]
    assert sections["Unit"] == [("Description", "x"), ("Documentation", "man:x(8)")]


def test_function_override_sees_generated_parameters() -> None:
    seen: dict[str, Any] = {}

    def override(args: dict[str, Any]) -> dict[str, Any]:
        seen.update(args)
        service = {key: value for key, value in args["Service"].items() if key != "ExecStartPre"}
        return {**args, "Service": {**service, "Type": "notify"}}

    process = managed(name="x", process="/bin/x", initialize="true", overrides={"systemd": override})
    output = generate(process, SETTINGS).files
    assert seen["Service"]["Type"] == "simple" and seen["name"] == "x" and seen["Unit"] == {"Description": "x"}
    assert sections_of(unit_of(output, "x"))["Service"] == [("ExecStart", "/bin/x"), ("Type", "notify")]
    # The prestart script is only written while the unit still runs it.
    assert "libexec/systemd/x-prestart" not in output


def test_override_values_are_checked() -> None:
    with pytest.raises(EvalError, match="invalid systemd parameters of process 'x': Service.Restart"):
        generate(managed(name="x", process="/bin/x", overrides={"systemd": {"Service": {"Restart": {"a": 1}}}}), SETTINGS)
    with pytest.raises(EvalError, match="cannot be written on one line"):
        generate(managed(name="x", process="/bin/x", overrides={"systemd": {"Service": {"Restart": "a\nExecStart=/bin/evil"}}}), SETTINGS)
    with pytest.raises(EvalError, match="cannot be a unit file key"):
        generate(managed(name="x", process="/bin/x", overrides={"systemd": {"Service": {"A=B": "1"}}}), SETTINGS)
    with pytest.raises(EvalError, match="invalid systemd parameters of process 'x': Servic"):
        generate(managed(name="x", process="/bin/x", overrides={"systemd": {"Servic": "typo"}}), SETTINGS)


# Hostile values ------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_read_back_exactly(value: str) -> None:
    process = managed(
        name="x",
        foregroundProcess="/opt/x bin/%h/x",
        foregroundProcessArgs=[value, "plain", value],
        environment={"HOSTILE": value},
        description=value + " (end)",
    )
    sections = dict(sections_of(unit_of(generate(process, SETTINGS).files, "x"))["Service"])
    assert unit_syntax.command_argv(sections["ExecStart"]) == ["/opt/x bin/%h/x", value, "plain", value]
    environment = [line for key, line in sections_of(unit_of(generate(process, SETTINGS).files, "x"))["Service"] if key == "Environment"]
    assert [unit_syntax.environment_assignment(line) for line in environment] == [("HOSTILE", value)]


# Real systemd ------------------------------------------------------------------------------


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory systemd's unprivileged test mode can read (pytest's own tmp dirs are private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="nixproc-systemd-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def write_profile(root: Path, *outputs: Any) -> Path:
    """Each output written on its own, their units linked into one unit directory, as a profile does."""
    units = root / "profile/etc/systemd/system"
    units.mkdir(parents=True)
    for generated in outputs:
        out = root / generated.name
        write_output(generated.files, out)
        for entry in (out / "etc/systemd/system").iterdir():
            (units / entry.name).symlink_to(entry)
    for path in root.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    return units


def verify(units: Path, unit: str) -> None:
    """``systemd-analyze verify`` loads the unit without any complaint."""
    assert SYSTEMD_ANALYZE is not None, "systemd-analyze is required (Debian: systemd)"
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", unit],
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def systemd_dump(units: Path, unit: str) -> str:
    """What systemd parsed from ``unit``: the unit's part of ``systemd --test``'s dump."""
    assert os.access(SYSTEMD, os.X_OK), f"{SYSTEMD} is required (Debian: systemd)"
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    result = subprocess.run(
        [*drop, SYSTEMD, "--test", "--system", f"--unit={unit}", "--no-pager", "--log-target=console"],
        env={"PATH": os.environ["PATH"], "HOME": str(units), "SYSTEMD_UNIT_PATH": f"{units}:"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    start = result.stdout.index(f"-> Unit {unit}:\n")
    end = result.stdout.find("\t-> Unit ", start + 1)
    return result.stdout[start : end if end != -1 else None]


def test_units_with_dependencies_pass_systemd_analyze_verify(world_readable_dir: Path) -> None:
    webapp_unit = generate(managed(instanceName="webapp", process=sys.executable, args=["-c", "pass"], user="root", initialize="true"), SETTINGS)
    nginx = managed(name="nginx", foregroundProcess="/bin/sleep", foregroundProcessArgs=["60"], directory="/tmp", umask="077", nice=3)
    nginx = nginx.model_copy(update={"dependencies": [Dependency(webapp_unit.name)]})
    nginx_unit = generate(nginx, SETTINGS, SystemdComposition(base_packages=("/usr",)))
    units = write_profile(world_readable_dir, webapp_unit, nginx_unit)
    verify(units, "nix-process-webapp.service")
    verify(units, "nix-process-nginx.service")
    dump = systemd_dump(units, "nix-process-nginx.service")
    assert "\t\tWants: nix-process-webapp.service (origin-file)\n" in dump
    assert "\t\tAfter: nix-process-webapp.service (origin-file)\n" in dump
    assert "\t\tWorkingDirectory: /tmp\n\t\t" in dump and "\t\tUMask: 0077\n" in dump and "\t\tNice: 3\n" in dump
    assert "\t\tEnvironment: PATH=/usr/bin\n" in dump


@pytest.mark.parametrize(
    ("params", "settings"),
    [
        ({"daemon": "/bin/sleep", "daemonArgs": ["60"], "pidFile": "/run/d.pid", "user": "root"}, SETTINGS),
        ({"process": "/bin/sleep", "args": ["60"], "user": "root", "initialize": "true",
          "overrides": {"systemd": {"Service": {"Restart": "always", "RestartSec": 2},
                                    "Install": {"WantedBy": "multi-user.target"}}}}, SETTINGS),
        ({"process": "/bin/sleep", "user": "nobody", "initialize": "true",
          "overrides": {"systemd": {"Service": {"Group": "nogroup"}}}},
         BackendSettings(force_disable_user_change=True)),
    ],
    ids=["forking", "install-section", "user-change-disabled"],
)
def test_unit_variants_pass_systemd_analyze_verify(
    params: dict[str, Any], settings: BackendSettings, world_readable_dir: Path
) -> None:
    generated = generate(managed(name="variant", **params), settings)
    verify(write_profile(world_readable_dir, generated), "nix-process-variant.service")


def test_hostile_values_as_systemd_parses_them(world_readable_dir: Path) -> None:
    values = [value for value in HOSTILE]
    environment = {f"HOSTILE_{index}": value for index, value in enumerate(values)}
    process = managed(
        name="hostile",
        foregroundProcess=sys.executable,
        foregroundProcessArgs=values,
        environment=environment,
        description="100% hostile $(x) `y` ;\\ 'q'",
        directory=str(world_readable_dir),
        initialize="true",
    )
    generated = generate(process, SETTINGS)
    units = write_profile(world_readable_dir, generated)
    verify(units, "nix-process-hostile.service")
    dump = systemd_dump(units, "nix-process-hostile.service")
    command_lines = [line.split("Command Line: ", 1)[1] for line in dump.splitlines() if "Command Line: " in line]
    assert [unit_syntax.decode_dumped_command_line(line) for line in command_lines] == [
        [str(world_readable_dir / "nix-process-hostile/libexec/systemd/hostile-prestart")],
        # systemd keeps "$$" until it executes the command, then makes it "$".
        [sys.executable, *(value.replace("$", "$$") for value in values)],
    ]
    assert [unit_syntax.substitute_variables(word) for word in unit_syntax.decode_dumped_command_line(command_lines[1])] == [
        sys.executable, *values
    ]
    assert "".join(f"\t\tEnvironment: {name}={environment[name]}\n" for name in sorted(environment)) in dump
    assert "\t\tDescription: 100% hostile $(x) `y` ;\\ 'q'\n" in dump
    assert f"\t\tWorkingDirectory: {world_readable_dir}\n" in dump


def test_params_hold_unit_syntax_before_overrides() -> None:
    params = systemd_params(managed(name="x", process="/bin/x", args=["a b"], description="50%"), SETTINGS)
    assert params.sections["Service"]["ExecStart"] == '/bin/x "a b"'
    assert params.sections["Unit"]["Description"] == "50%%"


# Readiness ---------------------------------------------------------------------------------

WAIT_READY = "/nix/store/" + "7" * 32 + "-nixproc/bin/nixproc-wait-ready"


def test_readiness_waits_in_exec_start_post_within_the_start_timeout() -> None:
    process = webapp(readiness={"tcpPort": 5000, "timeout": 12.5, "interval": 0.25})
    service = dict(sections_of(unit_of(generate(process, SETTINGS, SystemdComposition(wait_ready=WAIT_READY)).files,
                                       "webapp"))["Service"])
    assert unit_syntax.command_argv(service["ExecStartPost"]) == [
        WAIT_READY, "--name", "webapp", "--timeout", "12.5", "--interval", "0.25", "--tcp-port", "5000"
    ]
    assert service["TimeoutStartSec"] == "103"
    assert "ExecStartPost" not in unit_of(generate(webapp(), SETTINGS).files, "webapp")


def test_log_line_readiness_is_left_to_the_switch() -> None:
    unit = unit_of(generate(webapp(readiness={"logLine": "listening"}), SETTINGS).files, "webapp")
    assert unit == unit_of(generate(webapp(), SETTINGS).files, "webapp")


def test_readiness_overrides_have_the_last_word() -> None:
    process = webapp(readiness={"http": "http://127.0.0.1:5000/"},
                     overrides={"systemd": {"Service": {"ExecStartPost": None, "TimeoutStartSec": 5}}})
    service = dict(sections_of(unit_of(generate(process, SETTINGS).files, "webapp"))["Service"])
    # An empty ExecStartPost= clears the list in systemd.
    assert service["ExecStartPost"] == "" and service["TimeoutStartSec"] == "5"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_readiness_command_reads_back_exactly(value: str) -> None:
    process = managed(name="x", foregroundProcess="/bin/x", readiness={"command": ["/opt/check it", value, "-n"]})
    service = dict(sections_of(unit_of(generate(process, SETTINGS).files, "x"))["Service"])
    assert unit_syntax.command_argv(service["ExecStartPost"])[-4:] == ["--", "/opt/check it", value, "-n"]


def test_readiness_unit_passes_systemd_analyze_verify(world_readable_dir: Path) -> None:
    checks = [value for value in HOSTILE if value]
    process = managed(name="ready", foregroundProcess="/bin/sleep", foregroundProcessArgs=["60"],
                      readiness={"command": ["/bin/true", *checks], "timeout": 3})
    units = write_profile(world_readable_dir, generate(process, SETTINGS))
    verify(units, "nix-process-ready.service")
    dump = systemd_dump(units, "nix-process-ready.service")
    command_lines = [line.split("Command Line: ", 1)[1] for line in dump.splitlines() if "Command Line: " in line]
    words = [unit_syntax.substitute_variables(word) for word in unit_syntax.decode_dumped_command_line(command_lines[-1])]
    assert words == [WAIT_READY_INSTALLED, "--name", "ready", "--timeout", "3", "--interval", "0.5", "--", "/bin/true",
                     *checks]
