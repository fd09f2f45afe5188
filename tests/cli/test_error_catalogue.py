"""The error catalogue: every failure a user can meet, met the way a user meets it.

Each case runs the real console script in a subprocess and checks what the
command-line contract promises (DESIGN.md, STYLE.md "Errors"):

- the exit status (1 for every failure);
- standard error holds exactly one line starting with ``error:`` and no
  Python traceback; progress, warnings and the process output of a switch
  may surround it;
- the line names the culprit, ``FILE:LINE:COL`` in the user's files when a
  model is at fault, never a place in our own package;
- nothing was left half-written: the profile and its generations, ids.nix,
  the result link and the state directory are as they were, every path in
  the store is registered valid, and no process of the failed deployment
  runs.

The test model is a copy of ``tests/fixtures/webapps`` per test; the store
is shared by the module, so each package is built once. Every process a
deployment starts carries a marker in its environment and is killed by PID
at teardown.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from nixproc_disnix.errors import OWN_FILES
from nixproc_disnix.store import profiles
from nixproc_disnix.store.store import open_store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "webapps"
MARKER_VARIABLE = "NIXPROC_TEST_MARKER"
TIMEOUT = 300
"""Seconds any one command may take (a switch builds the host packages the first time)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def script(name: str) -> list[str]:
    """The argv running console script ``name`` with this interpreter (no PATH lookup, no shell shim)."""
    (entry,) = [entry for entry in entry_points(group="console_scripts") if entry.name == name]
    module, _, attribute = entry.value.partition(":")
    return [sys.executable, "-c",
            f"import functools, importlib, sys; sys.argv[0] = {name!r}; "
            f"sys.exit(functools.reduce(getattr, {attribute!r}.split('.'), importlib.import_module({module!r}))())"]


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    def error_line(self) -> str:
        """The one ``error:`` line; fails unless the command failed with status 1, in one line, without a traceback."""
        assert "Traceback (most recent call last)" not in self.stderr, self.stderr
        errors = [line for line in self.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, self.stderr
        assert self.returncode == 1, (self.returncode, self.stderr)
        assert OWN_FILES not in errors[0], f"names our code, not the culprit: {errors[0]}"
        return errors[0]


def position(path: Path, needle: str, offset: int = 0) -> str:
    """``FILE:LINE:COL`` of the first ``needle`` in ``path`` (plus ``offset`` columns)."""
    text = path.read_text()
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    return f"{path}:{line}:{index - text.rfind(chr(10), 0, index)}"


LOCK_FILES = re.compile(r".*[.-]lock")
"""Lock files (Nix's ``<profile>.lock``, our switch lock) hold nothing and may stay."""


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file, link and folder under ``roots`` but lock files: what it is and holds, and when it changed.

    A folder holding nothing else counts as absent.
    """
    seen: dict[str, str] = {}
    for root in roots:
        paths = [path for path in sorted(root.rglob("*")) if not LOCK_FILES.fullmatch(path.name)] \
            if root.is_dir() and not root.is_symlink() else []
        if not os.path.lexists(root) or (root.is_dir() and not root.is_symlink() and not paths):
            seen[str(root)] = "absent"
            continue
        for path in [root, *paths] if root.is_dir() and not root.is_symlink() else [root]:
            info = path.lstat()
            if path.is_symlink():
                seen[str(path)] = f"link {os.readlink(path)}"
            elif path.is_dir():
                seen[str(path)] = "folder"
            else:
                seen[str(path)] = f"file {hashlib.sha256(path.read_bytes()).hexdigest()} {info.st_mtime_ns}"
    return seen


def marked_pids(marker: str) -> list[int]:
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in entry.joinpath("environ").read_bytes().split(b"\0"):
                    state = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                pass
    return found


def kill_marked(marker: str) -> None:
    for pid in marked_pids(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("catalogue") / "root" / "store"


class Workspace:
    """A copy of the webapps model with free ports, its own state directory, profile folder and working folder."""

    def __init__(self, root: Path, store_dir: Path, marker: str) -> None:
        self.root = root
        self.store_dir = store_dir
        self.marker = marker
        shutil.copytree(FIXTURE, root / "model", ignore=shutil.ignore_patterns("__pycache__", "ids.nix"))
        self.model = root / "model" / "processes.nix"
        self.ports = {"webapp1": free_port(), "webapp2": free_port()}
        self.ids = root / "model" / "ids.nix"
        self.ids.write_text("{ ids = { webappPorts = { webapp1 = %d; webapp2 = %d; }; }; }\n"
                            % (self.ports["webapp1"], self.ports["webapp2"]))
        self.state = root / "state"
        self.profiles = root / "profiles"
        self.work = root / "work"
        self.work.mkdir()
        self.env = {**os.environ, "NIXPROC_STORE_DIR": str(store_dir), "NIX_USER_PROFILE_DIR": str(self.profiles),
                    MARKER_VARIABLE: marker}
        for variable in ("NIXPROC_PROCESSES", "NIXPROC_PROCESS_MANAGER", "NIXPROC_STATE_DIR", "NIXPROC_HOST_PACKAGES"):
            self.env.pop(variable, None)

    def run(self, name: str, *args: str | Path, env: dict[str, str] | None = None) -> Outcome:
        completed = subprocess.run([*script(name), *map(str, args)], cwd=self.work, env={**self.env, **(env or {})},
                                   capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        return Outcome(completed.returncode, completed.stdout, completed.stderr)

    def start(self, name: str, *args: str | Path) -> subprocess.Popen[str]:
        return subprocess.Popen([*script(name), *map(str, args)], cwd=self.work, env=self.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)

    def switch_args(self, *args: str | Path) -> list[str | Path]:
        return ["--state-dir", self.state, "--force-disable-user-change", *args]

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))

    def snapshot(self) -> dict[str, str]:
        """What a failed command must leave as it found it."""
        return snapshot(self.model.parent, self.profiles, self.work, self.state)

    def generations(self) -> list[tuple[int, bool]]:
        return [(g.number, g.current) for g in profiles.list_generations(str(self.profiles / "processes"))]

    def assert_store_consistent(self) -> None:
        """Every path in the store is registered valid: a failure left nothing half-built."""
        if not self.store_dir.exists():
            return
        with open_store(str(self.store_dir)) as store:
            unregistered = [entry.name for entry in self.store_dir.iterdir() if not store.is_valid(str(entry))]
        assert unregistered == []

    def assert_nothing_runs(self) -> None:
        assert marked_pids(self.marker) == []

    def pid(self, name: str) -> int | None:
        for pid_file in (self.state / "run" / f"{name}.pid", self.state / "tmp" / f"{name}.pid"):
            try:
                pid = int(pid_file.read_text().split()[0])
            except (FileNotFoundError, ValueError, IndexError):
                continue
            if pid in marked_pids(self.marker):
                return pid
        return None


@pytest.fixture
def ws(tmp_path: Path, store_dir: Path) -> Iterator[Workspace]:
    marker = uuid.uuid4().hex
    workspace = Workspace(tmp_path, store_dir, marker)
    yield workspace
    kill_marked(marker)


def built_with(ws: Workspace, command: str) -> list[str | Path]:
    """Arguments of ``command`` (build, switch, convert, id-assign) deploying or reading ``ws.model``."""
    return {
        "nixproc-build": ["-P", "sysvinit", "--pkgs", "stub", ws.model],
        "nixproc-sysvinit-switch": ws.switch_args("--pkgs", "stub", ws.model),
        "nixproc": ["convert", "--pkgs", "stub", ws.model],
        "nixproc-id-assign": [ws.model],
    }[command]


MODEL_COMMANDS = ["nixproc-build", "nixproc-sysvinit-switch", "nixproc", "nixproc-id-assign"]
"""The commands that evaluate a processes model: build, switch, convert (``nixproc convert``), id-assign."""


def write_id_resources(ws: Workspace, ports: int = 100) -> None:
    (ws.model.parent / "idresources.nix").write_text(
        "rec {\n  webappPorts = { min = 20000; max = %d; };\n  uids = { min = 2000; max = 3000; };\n  gids = uids;\n}\n"
        % (20000 + ports - 1))


# -- the model ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_a_missing_model_file(ws: Workspace, command: str) -> None:
    write_id_resources(ws)
    absent = ws.root / "absent" / "processes.nix"
    before = ws.snapshot()
    args = [absent if str(arg) == str(ws.model) else arg for arg in built_with(ws, command)]
    line = ws.run(command, *args).error_line()
    assert line == f"error: processes model '{absent}' does not exist"
    assert ws.snapshot() == before
    ws.assert_store_consistent()


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_a_syntax_error(ws: Workspace, command: str) -> None:
    write_id_resources(ws)
    ws.edit(ws.model, "webapp2 = rec {", "webapp2 = rec { = ;")
    before = ws.snapshot()
    line = ws.run(command, *built_with(ws, command)).error_line()
    assert line == f"error: syntax error, unexpected '=', at {position(ws.model, 'webapp2 = rec { = ;', 16)}"
    assert ws.snapshot() == before
    ws.assert_store_consistent()


def deep_type_errors(ws: Workspace) -> Path:
    """Helpers two calls deep that add a number to a string: one for the environment, one for id-assign's resources."""
    helpers = ws.model.parent / "helpers.nix"
    helpers.write_text("# What the model calls; the culprits are here.\n{\n"
                       "  portText = port: \"port \" + port;\n"
                       "  resources = names: map (name: name + 1) names;\n}\n")
    ws.edit(ws.model, "PORT = port;", "PORT = (import ./helpers.nix).portText port;")
    ws.edit(ws.model, 'requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];',
            'requiresUniqueIdsFor = (import ./helpers.nix).resources [ "webappPorts" "uids" "gids" ];')
    return helpers


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_a_type_error_deep_in_the_model_names_the_culprit_not_our_code(ws: Workspace, command: str) -> None:
    write_id_resources(ws)
    helpers = deep_type_errors(ws)
    before = ws.snapshot()
    line = ws.run(command, *built_with(ws, command)).error_line()
    culprit = (position(helpers, "name + 1", 7) if command == "nixproc-id-assign"
               else position(helpers, '"port " + port', 10))
    assert line == f"error: cannot coerce an integer to a string, at {culprit}"
    assert ws.snapshot() == before
    ws.assert_store_consistent()


@pytest.mark.parametrize(("edit", "culprit", "message"), [
    (("user = instanceName;", "user = 5;"), "user = 5;",
     "invalid parameters of process 'webapp1': user: Input should be a valid string"),
    (("PORT = port;", "PORT = [ port ];"), "PORT = [ port ];",
     "invalid parameters of process 'webapp1': environment.PORT.str: Input should be a valid string"),
    (("group = instanceName;", "group = [];"), "group = [];",
     "invalid parameters of process 'webapp1': credentials.users.webapp1.group: Input should be a valid string"),
])
def test_a_parameter_of_the_wrong_type_is_located_where_the_model_sets_it(
    ws: Workspace, edit: tuple[str, str], culprit: str, message: str
) -> None:
    ws.edit(ws.model, *edit)
    before = ws.snapshot()
    line = ws.run("nixproc-build", *built_with(ws, "nixproc-build")).error_line()
    assert line == f"error: {message}, at {position(ws.model, culprit)}"
    assert ws.snapshot() == before


@pytest.mark.parametrize("how", ["option", "variable", "model"])
def test_an_unknown_process_manager(ws: Workspace, how: str) -> None:
    before = ws.snapshot()
    if how == "option":
        outcome = ws.run("nixproc-build", "-P", "upstart", ws.model)
    elif how == "variable":
        outcome = ws.run("nixproc", "convert", ws.model, env={"NIXPROC_PROCESS_MANAGER": "upstart"})
    else:  # the model hands createManagedProcess a manager of its own
        ws.edit(ws.model, "forceDisableUserChange processManager ids;",
                'forceDisableUserChange ids; processManager = "upstart";')
        before = ws.snapshot()
        outcome = ws.run("nixproc-build", *built_with(ws, "nixproc-build"))
    line = outcome.error_line()
    assert line.startswith("error: Unknown process manager: upstart")
    if how == "model":
        assert line.endswith(f", at {position(ws.model, 'webapp = {', 9)}")  # the function calling it
    else:
        assert line.endswith("(expected one of bsdrc, cygrunsrv, disnix, docker, launchd, s6-rc, supervisord, "
                             "systemd, sysvinit)")
    assert ws.snapshot() == before


def test_a_package_missing_on_the_host(ws: Workspace) -> None:
    table = ws.root / "host-packages.json"
    table.write_text('{"packages": {"python3": {"bin": ["python3-not-installed-here"]}}}')
    before = ws.snapshot()
    line = ws.run("nixproc-build", "-P", "sysvinit", "--pkgs", "host", ws.model,
                  env={"NIXPROC_HOST_PACKAGES": str(table)}).error_line()
    assert line.startswith("error: pkgs.python3 needs what the host does not have: "
                           "executable python3-not-installed-here not found in PATH=")
    assert "(install it, or say where it is with NIXPROC_HOST_PACKAGES)" in line
    assert line.endswith(f", at {position(ws.model, 'pkgs.python3')}")
    assert ws.snapshot() == before
    ws.assert_store_consistent()


# -- ids ----------------------------------------------------------------------------------------------------------


def test_a_depleted_id_pool_leaves_ids_nix_untouched(ws: Workspace) -> None:
    write_id_resources(ws, ports=1)
    ws.ids.write_text("{ ids = { uids = { webapp1 = 2000; }; }; lastAssignments = { uids = 2000; }; }\n")
    before = ws.snapshot()
    line = ws.run("nixproc-id-assign", ws.model).error_line()
    assert line == "error: The amount of IDs is depleted! (resource 'webappPorts', service 'webapp2')"
    assert ws.snapshot() == before


def test_an_unwritable_ids_file_is_left_as_it_was(ws: Workspace) -> None:
    write_id_resources(ws)
    ids_dir = ws.model.parent
    before = ws.snapshot()
    with immutable(ids_dir):
        line = ws.run("nixproc-id-assign", ws.model).error_line()
    assert line.startswith(f"error: cannot write '{ws.ids}': ")
    assert ws.snapshot() == before


# -- where state goes ---------------------------------------------------------------------------------------------


class immutable:
    """``chattr +i`` on a folder for the duration (even root cannot create entries in it); skips where unsupported."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> None:
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"chattr +i is not supported here: {done.stderr.strip()}")
        if os.access(folder, os.W_OK) and _can_create_in(folder):
            subprocess.run(["chattr", "-i", str(folder)], check=True)
            pytest.skip("an immutable folder is still writable here")

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["chattr", "-i", str(self.folder)], check=True)


def _can_create_in(folder: Path) -> bool:
    try:
        (folder / ".probe").touch()
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


@pytest.mark.parametrize("how", ["under a regular file", "immutable"])
def test_an_unwritable_state_dir(ws: Workspace, how: str) -> None:
    blocker = ws.root / "blocker"
    if how == "under a regular file":
        blocker.write_text("")
        ws.state = blocker / "state"
        before = ws.snapshot()
        line = ws.run("nixproc-sysvinit-switch", *ws.switch_args(ws.model)).error_line()
    else:
        ws.state = blocker / "state"
        before = ws.snapshot()
        with immutable(blocker):
            line = ws.run("nixproc-sysvinit-switch", *ws.switch_args(ws.model)).error_line()
    assert re.fullmatch(rf"error: cannot create state directory '{re.escape(str(ws.state))}[^']*': "
                        r"(Not a directory|Operation not permitted|Permission denied)", line), line
    assert ws.snapshot() == before
    assert ws.generations() == []
    ws.assert_nothing_runs()
    ws.assert_store_consistent()


def test_an_unwritable_store(ws: Workspace) -> None:
    (ws.root / "blocker").write_text("")
    store_dir = ws.root / "blocker" / "store"
    before = ws.snapshot()
    outcome = ws.run("nixproc-build", *built_with(ws, "nixproc-build"), env={"NIXPROC_STORE_DIR": str(store_dir)})
    line = outcome.error_line()
    assert line == f"error: cannot open the store '{store_dir}': Not a directory"
    assert ws.snapshot() == before


def test_an_unwritable_result_link(ws: Workspace) -> None:
    (ws.work / "blocker").write_text("")
    before = ws.snapshot()
    outcome = ws.run("nixproc-build", *built_with(ws, "nixproc-build"), "-o", ws.work / "blocker" / "result")
    assert re.fullmatch(rf"error: cannot link '{re.escape(str(ws.work))}/blocker/result' to '[^']+': Not a directory",
                        outcome.error_line())
    assert ws.snapshot() == before
    ws.assert_store_consistent()


def test_an_unwritable_profile_folder_stops_the_switch_before_it_starts(ws: Workspace) -> None:
    (ws.root / "blocker").write_text("")
    profiles_dir = ws.root / "blocker" / "profiles"
    before = snapshot(ws.model.parent, ws.work)
    line = ws.run("nixproc-sysvinit-switch", *ws.switch_args(ws.model),
                  env={"NIX_USER_PROFILE_DIR": str(profiles_dir)}).error_line()
    assert str(profiles_dir) in line and "Not a directory" in line, line
    assert snapshot(ws.model.parent, ws.work) == before
    ws.assert_nothing_runs()
    ws.assert_store_consistent()


# -- deploying ----------------------------------------------------------------------------------------------------


def test_a_port_already_in_use_is_a_warning_before_the_deployment(ws: Workspace) -> None:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", ws.ports["webapp2"]))
        squatter.listen()
        outcome = ws.run("nixproc-sysvinit-switch", *ws.switch_args(ws.model))
    assert "Traceback" not in outcome.stderr
    lines = outcome.stderr.splitlines()
    warning = (f"warning: port {ws.ports['webapp2']} (webappPorts) of 'webapp2' is already in use by a process "
               "that is not part of this deployment")
    assert lines.count(warning) == 1, outcome.stderr
    starts = [index for index, line in enumerate(lines) if line.startswith("Starting")]
    assert not starts or lines.index(warning) < starts[0]
    # webapp2 cannot bind: the switch notices (one error line, rolled back) or deploys with the warning given.
    if outcome.returncode != 0:
        assert outcome.error_line().endswith("rolled back to the previous deployment")
        assert ws.generations() == []


def path_without(*commands: str, root: Path) -> str:
    """A PATH of links to everything in the system's PATH but ``commands``."""
    folder = root / "bin-without"
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/local/bin", "/usr/bin", "/bin",
                                                                      "/usr/sbin", "/sbin"]:
        if not os.path.isdir(directory):
            continue
        for entry in os.listdir(directory):
            if entry not in commands and not (folder / entry).exists():
                (folder / entry).symlink_to(os.path.join(directory, entry))
    return str(folder)


@pytest.mark.parametrize(("manager", "commands"), [
    ("supervisord", ("supervisord", "supervisorctl")),
    ("systemd", ("systemctl",)),
    ("s6-rc", ("s6-rc", "s6-rc-compile", "s6-rc-init", "s6-rc-update", "s6-svscan")),
    ("docker", ("docker", "dockerd")),
    ("launchd", ("launchctl",)),
    ("cygrunsrv", ("cygrunsrv",)),
])
def test_a_process_manager_that_is_not_installed(ws: Workspace, manager: str, commands: tuple[str, ...]) -> None:
    module = f"nixproc_disnix.backends.{manager.replace('-', '_')}.switch"
    try:
        __import__(module)
    except ModuleNotFoundError:
        pytest.skip(f"nixproc-{manager}-switch has no switcher yet ({module})")
    before = ws.snapshot()
    line = ws.run(f"nixproc-{manager}-switch", *ws.switch_args("--pkgs", "stub", ws.model),
                  env={"PATH": path_without(*commands, root=ws.root)}).error_line()
    assert re.search(r"\b(is|are) not installed \(not in PATH\)", line), line
    assert any(command in line for command in commands), line
    assert "nixproc doctor" in line
    assert ws.generations() == []
    assert snapshot(ws.profiles, ws.work, ws.model.parent) == {
        key: value for key, value in before.items() if not key.startswith(str(ws.state))}
    ws.assert_nothing_runs()
    ws.assert_store_consistent()


SLOW_MODEL = """\
# Generation 1 runs 'first'; generation 2 changes it and adds 'waiting', whose readiness
# check waits for a file that never appears, and 'after', which depends on it.
{ pkgs ? import <nixpkgs> {}, stateDir, runtimeDir ? "${stateDir}/run", logDir ? "${stateDir}/log"
, tmpDir ? "${stateDir}/tmp", forceDisableUserChange ? true, processManager, generation ? 1 }:

let
  createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager;
  };

  sleeper = { instanceName, dependencies ? [], readiness ? null }: createManagedProcess {
    inherit instanceName dependencies readiness;
    foregroundProcess = "${pkgs.coreutils}/bin/sleep";
    foregroundProcessArgs = [ "1000" ];
    environment.GENERATION = generation;
    overrides.sysvinit.runlevels = [ 3 4 5 ];
  };
in
{ first.pkg = sleeper { instanceName = "first"; }; }
// (if generation == 1 then {} else rec {
  waiting.pkg = sleeper {
    instanceName = "waiting";
    readiness = { command = [ "/bin/sh" "-c" "test -e ${stateDir}/never" ]; timeout = 120; interval = 0.1; };
  };
  after.pkg = sleeper { instanceName = "after"; dependencies = [ waiting.pkg ]; };
})
"""


def test_sigint_during_a_switch_rolls_back_to_the_previous_generation(ws: Workspace) -> None:
    model = ws.root / "slow" / "processes.nix"
    model.parent.mkdir()
    model.write_text(SLOW_MODEL)
    first = ws.run("nixproc-sysvinit-switch", *ws.switch_args("--runlevel", "3", model))
    assert first.returncode == 0, first.stderr
    assert ws.generations() == [(1, True)]
    current = os.path.realpath(ws.profiles / "processes")

    switch = ws.start("nixproc-sysvinit-switch",
                      *ws.switch_args("--runlevel", "3", "--extra-params", "{ generation = 2; }", model))
    try:
        deadline = time.monotonic() + TIMEOUT
        while ws.pid("waiting") is None:  # started, and waiting for its readiness check
            assert switch.poll() is None, switch.communicate()
            assert time.monotonic() < deadline, "the second switch never started 'waiting'"
            time.sleep(0.1)
        switch.send_signal(signal.SIGINT)
        stdout, stderr = switch.communicate(timeout=60)
    finally:
        if switch.poll() is None:
            switch.kill()
            switch.communicate()
    line = Outcome(switch.returncode, stdout, stderr).error_line()
    assert line == "error: interrupted by the user; rolled back to the previous deployment"
    assert ws.generations() == [(1, True)]
    assert os.path.realpath(ws.profiles / "processes") == current
    assert ws.pid("waiting") is None and ws.pid("after") is None
    assert ws.pid("first") is not None
