"""The rules all backends share (SPEC §2.3, §2.4, §2.5), with hand-computed expectations."""
from __future__ import annotations

import shlex
import shutil
import subprocess
from typing import Any

import pytest

from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.mode import Invocation, Mode, choose_invocation, invocation
from nixproc_disnix.backends.common.overrides import apply_overrides, recursive_update
from nixproc_disnix.backends.common.util import (
    append_path_to_environment,
    auto_pid_file,
    compose_path,
    daemon_log_file,
    determine_user,
    escape_shell_arg,
    escape_shell_args,
    pid_files_dir,
    shell_environment_exports,
)
from nixproc_disnix.errors import EvalError
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.ids import Ids
from nixproc_disnix.model.process import ProcessParams, resolve

RUN, LOG, TMP = "/var/run", "/var/log", "/tmp"

HOSTILE = [
    "plain",
    "",
    "it's",
    "'",
    "''",
    '"double" quotes',
    "$HOME and ${HOME} and $(echo no) and `echo no`",
    "back\\slash\\",
    "new\nline\n",
    "tab\there",
    "*glob? [x]",
    "semi; colon && pipe | amp &",
    "-n",
    "ü ∀ é",
    "!bang",
    "~tilde",
]

BASH = shutil.which("bash")


def bash(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``script`` in a real bash with positional ``args``; its stdout."""
    assert BASH is not None, "bash is required"
    return subprocess.run(
        [BASH, "-c", script, "bash", *args], capture_output=True, text=True, check=True, env=env
    ).stdout


# Users, PID and log files ------------------------------------------------------


def test_effective_user() -> None:
    assert determine_user("webapp", False) == "webapp"
    assert determine_user("webapp", True) is None
    assert determine_user(None, False) is None


def test_pid_dir_follows_the_declared_user_not_the_effective_one() -> None:
    assert pid_files_dir(None, RUN, TMP) == RUN
    assert pid_files_dir("webapp", RUN, TMP) == TMP
    # forceDisableUserChange: nobody is switched to, yet the PID directory stays tmpDir.
    declared = "webapp"
    assert determine_user(declared, True) is None
    assert pid_files_dir(declared, RUN, TMP) == TMP


def test_auto_pid_file() -> None:
    assert auto_pid_file("/srv/explicit.pid", "webapp", TMP) == "/srv/explicit.pid"
    assert auto_pid_file("/srv/explicit.pid", None, TMP) == "/srv/explicit.pid"
    assert auto_pid_file(None, "webapp", TMP) == "/tmp/webapp.pid"
    assert auto_pid_file(None, "webapp", RUN) == "/var/run/webapp.pid"
    assert auto_pid_file(None, None, RUN) is None


def test_daemon_log_file() -> None:
    assert daemon_log_file("svc", "webapp", LOG, TMP, None) == "/var/log/nixproc-webapp.log"
    assert daemon_log_file("svc", "webapp", LOG, TMP, "webapp") == "/tmp/nixproc-webapp.log"
    assert daemon_log_file("svc", None, LOG, TMP, None) == "/var/log/nixproc-svc.log"
    assert daemon_log_file("svc", None, LOG, TMP, "u") == "/tmp/nixproc-svc.log"
    assert daemon_log_file("svc", "webapp", LOG, TMP, "u", enabled=False) is None
    # The log directory follows the effective user: with user changes disabled it is logDir.
    assert daemon_log_file("svc", "webapp", LOG, TMP, determine_user("u", True)) == "/var/log/nixproc-webapp.log"


# PATH and environment -------------------------------------------------------------


def test_compose_path() -> None:
    assert compose_path(["/nix/store/a-coreutils", "/nix/store/b-sed"]) == "/nix/store/a-coreutils/bin:/nix/store/b-sed/bin"
    assert compose_path([]) == ""


def test_path_added_only_when_path_is_not_empty() -> None:
    assert append_path_to_environment({"A": "1"}, []) == {"A": "1"}
    assert append_path_to_environment({"A": "1"}, ["/p"]) == {"PATH": "/p/bin", "A": "1"}
    assert append_path_to_environment({"PATH": "/mine"}, ["/p"]) == {"PATH": "/mine"}


def test_export_lines_in_attr_names_order_with_system_path() -> None:
    environment = {"b": "x", "PORT": 5000, "PATH": "/p/bin", "A": True, "Z": False}
    assert shell_environment_exports(environment) == (
        "export A='1'\n"
        "export PATH='/p/bin':$PATH\n"
        "export PORT='5000'\n"
        "export Z=''\n"
        "export b='x'\n"
    )
    assert shell_environment_exports({"PATH": "/p/bin"}, allow_system_path=False) == "export PATH='/p/bin'\n"
    assert shell_environment_exports({}) == ""


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_environment_values_survive_bash(value: str) -> None:
    lines = shell_environment_exports({"VAR": value})
    assert bash('eval "$1"; printf %s "$VAR"', lines) == value


def test_all_hostile_values_at_once_and_path_keeps_system_path() -> None:
    environment = {f"V{i}": value for i, value in enumerate(HOSTILE)} | {"PATH": "/a b/bin:/$x/bin"}
    lines = shell_environment_exports(environment)
    script = 'eval "$1"; for n in ' + " ".join(environment) + '; do printf "%s\\0" "${!n}"; done'
    printed = bash(script, lines, env={"PATH": "/usr/bin:/bin"}).split("\0")[:-1]
    expected = [str(v) for v in environment.values()]
    expected[-1] = "/a b/bin:/$x/bin:/usr/bin:/bin"
    assert printed == expected


# Quoting and invocations ------------------------------------------------------------


def test_escape_shell_arg_always_quotes_and_stringifies_as_nix() -> None:
    assert escape_shell_arg("safe") == "'safe'"
    assert escape_shell_arg("it's") == "'it'\\''s'"
    assert escape_shell_arg(5000) == "'5000'"
    assert escape_shell_arg(True) == "'1'"
    assert escape_shell_arg(None) == "''"
    assert escape_shell_args(["-p", 80]) == "'-p' '80'"
    assert escape_shell_args([]) == ""


@pytest.mark.parametrize("value", HOSTILE)
def test_escape_shell_arg_parses_back(value: str) -> None:
    assert shlex.split(escape_shell_arg(value)) == [value]
    assert bash('eval "printf %s $1"', escape_shell_arg(value)) == value


# Daemon or foreground ---------------------------------------------------------------


def _process(**params: Any):
    return resolve(ProcessParams(name="n", **params))


def test_both_modes_offered_the_preference_wins() -> None:
    process = _process(process="/bin/p", daemon_extra_args=["-D"], foreground_process_extra_args=["-f"])
    assert choose_invocation(process, Mode.DAEMON) == Invocation("/bin/p", ["-D"], Mode.DAEMON)
    assert choose_invocation(process, Mode.FOREGROUND) == Invocation("/bin/p", ["-f"], Mode.FOREGROUND)
    assert choose_invocation(process, Mode.DAEMON).is_daemon


def test_a_single_mode_is_forced() -> None:
    daemon_only = _process(daemon="/bin/d", daemon_args=["-D"])
    assert choose_invocation(daemon_only, Mode.FOREGROUND) == Invocation("/bin/d", ["-D"], Mode.DAEMON)
    assert invocation(daemon_only, Mode.FOREGROUND) is None
    foreground_only = _process(foreground_process="/bin/f")
    assert choose_invocation(foreground_only, Mode.DAEMON) == Invocation("/bin/f", [], Mode.FOREGROUND)


def test_no_mode_offered() -> None:
    assert choose_invocation(_process(), Mode.DAEMON) is None


# Overrides (§2.3) -----------------------------------------------------------------------


def test_recursive_update_merges_sets_and_replaces_everything_else() -> None:
    generated = {
        "Unit": {"Description": "d", "After": ["a"]},
        "Service": {"ExecStart": "/bin/p", "Environment": {"A": "1"}},
        "runlevels": [2, 3],
        "name": "n",
    }
    override = {
        "Service": {"Restart": "always", "Environment": {"B": "2"}},
        "Unit": {"After": ["b"]},
        "runlevels": [3, 4, 5],
        "name": {"now": "a set"},
        "extra": 1,
    }
    assert apply_overrides(generated, override) == {
        "Unit": {"Description": "d", "After": ["b"]},
        "Service": {"ExecStart": "/bin/p", "Environment": {"A": "1", "B": "2"}, "Restart": "always"},
        "runlevels": [3, 4, 5],
        "name": {"now": "a set"},
        "extra": 1,
    }
    assert generated["Service"] == {"ExecStart": "/bin/p", "Environment": {"A": "1"}}
    assert recursive_update({"a": {"b": 1}}, {"a": 2}) == {"a": 2}


def test_function_override_may_add_change_and_delete() -> None:
    def hook(args: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in args.items() if key != "drop"} | {"name": args["name"] + "-x"}

    assert apply_overrides({"name": "n", "drop": 1}, hook) == {"name": "n-x"}
    assert apply_overrides({"name": "n"}, {}) == {"name": "n"}


def test_override_must_be_a_set_or_a_function() -> None:
    with pytest.raises(EvalError, match="function or an attribute set"):
        apply_overrides({}, [1])


# Credentials / dysnomia-support (§2.5) ------------------------------------------------------

IDS = Ids.from_data({"ids": {"uids": {"webapp": 2000, "own": 2001}, "gids": {"webapp": 3000}}})


def _credentials(data: dict[str, Any]) -> Credentials:
    return ProcessParams.from_data({"credentials": data}).credentials


def test_dysnomia_support_with_assigned_ids() -> None:
    credentials = _credentials(
        {
            "groups": {"webapp": {}, "fixed": {"gid": 42}},
            "users": {
                "webapp": {"group": "webapp", "description": "Webapp", "createHomeDir": True, "homeDir": "/home/w"},
                "own": {"uid": 7, "shell": "/bin/sh"},
                "noid": {"extraGroups": ["a", "b"], "password": "it's"},
            },
        }
    )
    assert dysnomia_support_files(credentials, IDS) == {
        "groups/fixed": "gid='42'\n\n",
        "groups/webapp": "gid=3000\n\n",
        "users/noid": "extraGroups='a b'\npassword='it'\\''s'\n\n",
        "users/own": "shell='/bin/sh'\nuid='7'\n\n",
        "users/webapp": "uid=2000\ncreateHomeDir='1'\ndescription='Webapp'\ngroup='webapp'\nhomeDir='/home/w'\n\n",
    }


def test_dysnomia_support_without_ids() -> None:
    credentials = _credentials({"groups": {"g": {}}, "users": {"u": {"group": "g"}}})
    assert dysnomia_support_files(credentials) == {"groups/g": "\n", "users/u": "group='g'\n\n"}
    assert dysnomia_support_files(Credentials()) == {}


def test_dysnomia_support_with_user_changes_disabled() -> None:
    credentials = _credentials(
        {
            "groups": {"g": {"gid": 1}},
            "users": {
                "home": {"createHomeDir": True, "homeDir": "/home/h", "group": "g"},
                "nohome": {"createHomeDir": False, "homeDir": "/home/n"},
                "plain": {"group": "g"},
            },
        }
    )
    assert dysnomia_support_files(credentials, IDS, force_disable_user_change=True) == {
        "users/home": "homeDir=/home/h\ncreateHomeDir=1\ncreateHomeDirOnly=1\n",
    }
    with pytest.raises(EvalError, match="homeDir"):
        dysnomia_support_files(_credentials({"users": {"u": {"createHomeDir": True}}}), force_disable_user_change=True)


@pytest.mark.parametrize("value", HOSTILE)
def test_dysnomia_support_files_source_back(value: str) -> None:
    content = dysnomia_support_files(_credentials({"users": {"u": {"description": value}}}))["users/u"]
    assert bash('eval "$1"; printf %s "$description"', content) == value
