"""The Dysnomia protocol: names, state markers, property files, module lookup, the commands, and accounts."""
from __future__ import annotations

import grp
import os
import pwd
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness import module_call

from nixproc_disnix.cli.dysnomia import dysnomia_modules
from nixproc_disnix.deploy.build import BuildRequest, make_evaluator
from nixproc_disnix.dysnomia.installed import MODULE_PROGRAM, MODULES_DIR, realise_modules
from nixproc_disnix.dysnomia.invoke import Invocation, command_invocation, find_module, invoke, module_environment
from nixproc_disnix.store.paths import store_name
from nixproc_disnix.dysnomia.modules import MODULE_TYPES, run_module
from nixproc_disnix.errors import DeployError
from nixproc_disnix.idassign.models import text
from nixproc_disnix.model.dysnomia import ContainerConfig, parse_properties, render_properties
from nixproc_disnix.store.store import Store

HOSTILE = "it's \"quoted\" $HOME `x` \\ ; # not a comment\nnew line"


def test_names_drop_a_store_hash_only() -> None:
    assert store_name("/nixproc/store/0123456789abcdfghijklmnpqrsvwxyz-webapp") == "webapp"
    assert store_name("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-webapp/") == "webapp"
    assert store_name("/srv/components/webapp") == "webapp"
    assert store_name("/srv/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x") == "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x"  # e is no hash digit


def test_properties_read_back_exactly_and_are_never_run() -> None:
    properties = {"type": "process", "runtimeDir": "/run/x y", "hostile": HOSTILE, "empty": ""}
    assert parse_properties(render_properties(properties)) == properties
    assert parse_properties("# comment\na=1 b='2 3'  # trailing\n") == {"a": "1", "b": "2 3"}
    assert parse_properties("a=\"$(touch x)\"") == {"a": "$(touch x)"}  # text, not a command
    for text in ("rm -rf /", "a='unterminated", "1a=2"):
        with pytest.raises(DeployError, match="cannot read"):
            parse_properties(text)
    with pytest.raises(DeployError, match="cannot name a container property"):
        render_properties({"a-b": "1"})
    config = ContainerConfig(name="c", properties={"type": "process", "runtimeDir": "/run"})
    assert config.type == "process" and config.environment() == {"runtimeDir": "/run"}


def test_markers_follow_dysnomia_layout(tmp_path: Path) -> None:
    component = tmp_path / "0123456789abcdfghijklmnpqrsvwxyz-comp"
    call = module_call("docker-container", "activate", component, {"DYSNOMIA_STATEDIR": str(tmp_path / "s")},
                       container="/nix/store/0123456789abcdfghijklmnpqrsvwxyz-box")
    assert call.container_name == "box"
    call.mark_active()
    assert (tmp_path / "s/activated/box/comp").is_file()
    call.mark_garbage()
    assert not (tmp_path / "s/activated/box/comp").exists() and call.is_garbage()
    call.mark_active()
    assert (tmp_path / "s/activated/box/comp").is_file() and not call.is_garbage()
    call.unmark_active()
    assert not (tmp_path / "s/activated/box/comp").exists()
    assert module_call("process", "activate", component, {}).container_name == "process"


def test_unhandled_activities_succeed_and_unknown_ones_fail(tmp_path: Path) -> None:
    for activity in ("lock", "unlock", "snapshot", "restore", "collect-garbage", "shell"):
        run_module(module_call("sysvinit-script", activity, tmp_path / "nothing", {}))
    with pytest.raises(DeployError, match="unknown Dysnomia activity 'start'"):
        run_module(module_call("process", "start", tmp_path, {}))
    with pytest.raises(DeployError, match="Dysnomia module 'mysql-database' does not exist"):
        run_module(module_call("mysql-database", "activate", tmp_path, {}))


def test_module_lookup(tmp_path: Path) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "echo").write_text("#!/bin/sh\necho \"$@\" \"$greeting\"\n")
    (modules / "echo").chmod(0o755)
    assert find_module("echo", [str(modules)]) == str(modules / "echo")
    assert find_module("process", [str(modules)]) is None  # ours
    package = tmp_path / "package"
    (package / "libexec/dysnomia").mkdir(parents=True)
    os.symlink(modules / "echo", package / "libexec/dysnomia/echo")
    assert find_module(str(package), []) == str(package / "libexec/dysnomia/echo")
    with pytest.raises(DeployError, match="'fileset' not found"):
        find_module("fileset", [str(modules)])
    lines: list[str] = []
    environment = module_environment({"type": "echo", "greeting": "hi"}, {"PATH": "/bin", "SECRET": "x"}, False)
    assert environment == {"greeting": "hi", "PATH": "/bin", "DYSNOMIA_STATEDIR": environment["DYSNOMIA_STATEDIR"]}
    invoke(Invocation("echo", "activate", "/comp", "box", environment), [str(modules)], lines.append)
    assert lines == ["activate /comp box hi"]


def test_command_invocation_resolves_containers_and_components(tmp_path: Path) -> None:
    containers, components = tmp_path / "containers", tmp_path / "components"
    containers.mkdir()
    (containers / "box").write_text("type=process\nruntimeDir=/run/box\n")
    (components / "box" / "web").mkdir(parents=True)
    caller = {"PATH": "/bin", "DYSNOMIA_CONTAINERS_PATH": f"/nonexistent:{containers}",
              "DYSNOMIA_COMPONENTS_PATH": str(components), "DYSNOMIA_STATEDIR": "/state", "runtimeDir": "/ignored"}
    by_name = command_invocation("activate", "web", "box", None, False, caller)
    assert (by_name.module, by_name.component, by_name.container) == ("process", str(components / "box/web"), "box")
    assert by_name.environment == {"runtimeDir": "/run/box", "PATH": "/bin", "DYSNOMIA_STATEDIR": "/state"}
    by_type = command_invocation("deactivate", "/abs/web", None, "process", True, caller)
    assert (by_type.module, by_type.component, by_type.container) == ("process", "/abs/web", "process")
    assert by_type.environment["runtimeDir"] == "/ignored"  # --environment: properties from the environment
    with pytest.raises(DeployError, match="no container configuration given"):
        command_invocation("activate", "/web", None, None, False, caller)
    (containers / "untyped").write_text("a=1\n")
    with pytest.raises(DeployError, match="container 'untyped' has no type property"):
        command_invocation("activate", "/web", "untyped", None, False, caller)
    with pytest.raises(DeployError, match="component 'db' of container 'box' not found"):
        command_invocation("activate", "db", "box", None, False, caller)


def test_modules_folder_links_every_type_to_the_module_program(tmp_path: Path) -> None:
    result = CliRunner().invoke(dysnomia_modules, ["--store-dir", str(tmp_path / "nixproc/store")])
    assert result.exit_code == 0, result.output
    folder = Path(result.output.strip())
    assert folder.name == "dysnomia" and str(folder).endswith(MODULES_DIR)
    assert sorted(os.listdir(folder)) == sorted(MODULE_TYPES)
    assert all(os.readlink(folder / name) == MODULE_PROGRAM for name in MODULE_TYPES)
    assert os.path.realpath(tmp_path / "nixproc/dysnomia-modules") == str(folder.parent.parent)  # a GC root


def test_the_framework_package_is_the_same_folder(tmp_path: Path) -> None:
    """``import <nix-processmgmt/nixproc/dysnomia-modules.nix>`` is what a service container links its module from."""
    with Store(str(tmp_path / "nixproc")) as store:
        ev = make_evaluator(store, BuildRequest(None, None))
        package = ev.force_attrs(ev.eval_file(f"{ev.find_file('nix-processmgmt')}/nixproc/dysnomia-modules.nix"))
        assert text(ev.force(package["outPath"])) == realise_modules(store)


def test_commands_report_errors_in_one_line(tmp_path: Path) -> None:
    usage = subprocess.run(["nixproc-dysnomia-module", "process"], capture_output=True, text=True)
    assert usage.returncode == 1 and "usage: nixproc-dysnomia-module [TYPE] ACTIVITY COMPONENT" in usage.stderr
    failing = subprocess.run(["nixproc-dysnomia-module", "process", "activate", str(tmp_path)],
                             capture_output=True, text=True)
    assert failing.returncode == 1
    assert failing.stderr == f"error: process: component '{tmp_path}' has no executable in bin/ and no etc/dysnomia/process\n"
    wrong = subprocess.run(["nixproc-dysnomia", "-o", "start", "-c", "/x", "--type", "process"],
                           capture_output=True, text=True)
    assert wrong.returncode == 2 and "'start' is not one of" in wrong.stderr


def test_accounts_are_created_and_removed_with_the_component(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating users and groups needs root")
    name = f"npdt{uuid.uuid4().hex[:8]}"
    component = tmp_path / "withaccounts"
    (component / "dysnomia-support/groups").mkdir(parents=True)
    (component / "dysnomia-support/users").mkdir(parents=True)
    (component / "dysnomia-support/groups" / name).write_text("\n")
    (component / "dysnomia-support/users" / name).write_text(f"group='{name}'\ndescription='Test user'\n\n")
    start = component / "etc/rc.d/rc3.d/S00start"
    start.parent.mkdir(parents=True)
    start.write_text('#!/bin/sh\n[ "$1" != start ] || [ -z "$FAIL" ] || exit 1\n')
    start.chmod(0o755)
    try:
        run_module(module_call("sysvinit-script", "activate", component, {}))
        assert pwd.getpwnam(name).pw_gid == grp.getgrnam(name).gr_gid
        run_module(module_call("sysvinit-script", "deactivate", component, {}))
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
        with pytest.raises(KeyError):
            grp.getgrnam(name)
        # A failed activation deletes the accounts it made.
        with pytest.raises(DeployError):
            run_module(module_call("sysvinit-script", "activate", component, {"FAIL": "1"}))
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)
