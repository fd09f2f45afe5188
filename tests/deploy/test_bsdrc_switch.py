"""nixproc-bsdrc-switch with processes that really run, their scripts run against a STAND-IN rc.subr.

FreeBSD's rc.subr and ``daemon(8)`` do not exist here, and the generated
scripts name them by absolute path (``. /etc/rc.subr``,
``command=/usr/sbin/daemon``). So every switch runs in a forked child in a
private mount namespace (``unshare(2)``) where ``/etc`` and ``/usr/sbin``
are overlays on a tmpfs holding the STAND-INS of ``tests/backends/bsdrc/stand_ins``
(the bsdrc generator tests use the same ones): an rc.subr implementing
``load_rc_config``, ``checkyesno`` and ``run_rc_command`` as FreeBSD's does,
reading the ``rc.conf`` the switch writes (``BSDRC_RC_CONF`` in these tests),
and a ``daemon(8)`` with ``-p``/``-o``. Everything else is real: the build of
the webapps model, the switch engine, the scripts, and the webapps, which
answer HTTP on 127.0.0.1. Nothing outside the namespace changes, and every
process a test starts carries a marker in its environment and is killed by
PID at teardown.
"""
from __future__ import annotations

import ctypes
import os
import pickle
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
from webapps_deployment import MARKER_VARIABLE, WebappsDeployment, alive, kill_marked, start_time

from nixproc_disnix.backends.bsdrc.switch import enabling_variable, with_enabled
from nixproc_disnix.deploy.plan import SwitchPlan
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import read_profile

STAND_INS = Path(__file__).resolve().parents[1] / "backends" / "bsdrc" / "stand_ins"
CLONE_NEWNS = 0x00020000

NAMESPACE_SETUP = r"""
set -e
layers=$1 rc_subr=$2 daemon=$3
mount --make-rprivate /
mount -t tmpfs nixproc-test-layers "$layers"
for dir in /etc /usr/sbin; do
	mkdir -p "$layers$dir/upper" "$layers$dir/work"
	mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layers$dir/upper,workdir=$layers$dir/work" "$dir"
done
cp "$rc_subr" /etc/rc.subr
cp "$daemon" /usr/sbin/daemon
chmod 755 /usr/sbin/daemon
"""
"""Run in the new mount namespace: the stand-ins where the scripts look for rc.subr and daemon(8)."""

T = TypeVar("T")


def namespaces_work() -> bool:
    try:
        return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


in_namespaces = pytest.mark.skipif(not namespaces_work(), reason="needs private mount namespaces (root, unshare --mount)")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class NamespacedDeployment(WebappsDeployment):
    """The webapps deployed by switches run in a mount namespace with the stand-ins."""

    def __init__(self, root: Path, store_dir: Path) -> None:
        super().__init__(root, store_dir, "bsdrc")
        self.layers = root / "layers"
        self.layers.mkdir()
        self.daemon = root / "daemon"
        self.daemon.write_text(f"#!{sys.executable}\n" + (STAND_INS / "daemon.py").read_text())

    def in_namespace(self, work: Callable[[], T]) -> T:
        """``work()`` in a forked child, in a new mount namespace with the stand-ins in place; its result or error.

        A child of this process, so the switch runs with everything already
        imported; the namespace ends with the child (the processes it started
        keep it alive for themselves).
        """
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(reader)
            try:
                if ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNS) != 0:
                    raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
                subprocess.run(["sh", "-c", NAMESPACE_SETUP, "sh", str(self.layers), str(STAND_INS / "rc.subr"),
                                str(self.daemon)], check=True)
                outcome = pickle.dumps((True, work()))
            except BaseException as error:  # everything goes back to the test, which raises it
                outcome = pickle.dumps((False, error))
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(outcome)
            os._exit(0)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            succeeded, value = pickle.loads(pipe.read())
        os.waitpid(child, 0)
        if not succeeded:
            raise value
        return value

    def switch_in_namespace(self, undeploy: bool = False) -> SwitchPlan:
        return self.in_namespace(partial(self.switch, undeploy))

    def cli_in_namespace(self, *args: str) -> tuple[int, str]:
        """``nixproc-bsdrc-switch ARGS`` in the namespace: its exit status and output."""
        def run() -> tuple[int, str]:
            result = self.cli(*args)
            return result.exit_code, result.output
        return self.in_namespace(run)

    def pid(self, name: str) -> int | None:
        try:
            pid = int((self.state / "tmp" / f"{name}.pid").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if alive(pid) else None


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bsdrc-switch") / "store"


@pytest.fixture
def deployment(tmp_path: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NamespacedDeployment]:
    marker = uuid.uuid4().hex
    monkeypatch.setenv(MARKER_VARIABLE, marker)
    monkeypatch.setenv("BSDRC_TARGET_DIR", str(tmp_path / "rc.d"))
    monkeypatch.setenv("BSDRC_RC_CONF", str(tmp_path / "rc.conf"))
    deployed = NamespacedDeployment(tmp_path, store_dir)
    yield deployed
    kill_marked(marker)


@pytest.mark.integration
@in_namespaces
def test_deploy_a_no_op_a_change_and_undeploy(deployment: NamespacedDeployment) -> None:
    plan = deployment.switch_in_namespace()
    assert [[process.name for process in level] for level in plan.start] == [["webapp1"], ["webapp2"]]
    first, second = deployment.pid("webapp1"), deployment.pid("webapp2")
    assert first is not None and second is not None and start_time(first) <= start_time(second)
    assert deployment.answer("webapp1") == "webapp1" and deployment.answer("webapp2") == "webapp2"
    assert not (deployment.root / "rc.d").exists() and not (deployment.root / "rc.conf").exists()

    assert deployment.switch_in_namespace().is_empty
    assert (deployment.pid("webapp1"), deployment.pid("webapp2")) == (first, second)

    deployment.move("webapp2")
    changed = deployment.switch_in_namespace()
    assert changed.restart == ("webapp2",) and changed.unchanged == ("webapp1",)
    assert deployment.pid("webapp1") == first and not alive(second)
    assert deployment.pid("webapp2") is not None and deployment.answer("webapp2") == "webapp2"
    assert deployment.generations() == [(1, False), (2, True)]

    undeployed = deployment.switch_in_namespace(undeploy=True)
    assert [[process.name for process in level] for level in undeployed.stop] == [["webapp2"], ["webapp1"]]
    assert deployment.pid("webapp1") is None and deployment.pid("webapp2") is None
    assert deployment.generations() == [(1, False), (2, False), (3, True)]


@pytest.mark.integration
@in_namespaces
def test_a_failing_start_rolls_back(deployment: NamespacedDeployment) -> None:
    """webapp2's ``initialize`` (the start's precmd) fails, so ``onestart`` does; the old webapp2 starts again.

    (A process that dies after ``daemon(8)`` forked it may still look alive
    when first asked, as on FreeBSD; a failing precmd fails the start itself.)
    """
    deployment.switch_in_namespace()
    first, second = deployment.pid("webapp1"), deployment.pid("webapp2")
    model = deployment.model.read_text()
    assert "    user = instanceName;\n" in model
    deployment.model.write_text(model.replace(
        "    user = instanceName;\n",
        '    user = instanceName;\n    initialize = if instanceName == "webapp2" then "exit 1" else "";\n',
    ))
    with pytest.raises(DeployError) as error:
        deployment.switch_in_namespace()
    assert error.value.message == (
        "cannot start webapp2: webapp2 onestart exited with status 1; rolled back to the previous deployment"
    )
    assert deployment.pid("webapp1") == first and second is not None and not alive(second)
    assert deployment.generations() == [(1, True)]
    # The undo starts the old webapp2 without waiting for it to listen.
    deadline = time.monotonic() + 10
    while deployment.pid("webapp2") is None or not listening(deployment.ports["webapp2"]):
        assert time.monotonic() < deadline, "the old webapp2 did not come back"
        time.sleep(0.05)
    assert deployment.answer("webapp2") == "webapp2"


@pytest.mark.integration
@in_namespaces
def test_enable_at_boot_links_enables_starts_and_undeploy_takes_it_all_back(deployment: NamespacedDeployment) -> None:
    rc_conf, target = deployment.root / "rc.conf", deployment.root / "rc.d"
    rc_conf.write_text('hostname="test"\nsshd_enable=YES\n')
    code, output = deployment.cli_in_namespace("--enable-at-boot", str(deployment.model))
    assert code == 0, output
    out = {name: process.out_path for name, process in read_profile(str(deployment.profile)).processes.items()}
    assert {entry.name: os.readlink(entry) for entry in target.iterdir()} == {
        name: os.path.join(out[name], "etc", "rc.d", name) for name in ("webapp1", "webapp2")
    }
    assert rc_conf.read_text() == 'hostname="test"\nsshd_enable=YES\nwebapp1_enabled=YES\nwebapp2_enabled=YES\n'
    assert deployment.answer("webapp1") == "webapp1" and deployment.answer("webapp2") == "webapp2"

    code, output = deployment.cli_in_namespace("--enable-at-boot", "--undeploy")
    assert code == 0, output
    assert list(target.iterdir()) == [] and rc_conf.read_text() == 'hostname="test"\nsshd_enable=YES\n'
    assert deployment.pid("webapp1") is None and deployment.pid("webapp2") is None


def test_rc_conf_lines_are_added_once_and_removed_exactly() -> None:
    original = 'hostname="x"\nwebapp1_enabled=YES\nwebapp1_enabled="YES"\n# webapp2_enabled=YES\n'
    assert with_enabled(original, {"webapp1_enabled", "webapp2_enabled"}, set()) == original + "webapp2_enabled=YES\n"
    assert with_enabled(original, set(), {"webapp1_enabled"}) == (
        'hostname="x"\nwebapp1_enabled="YES"\n# webapp2_enabled=YES\n'
    )
    assert with_enabled("", {"b_enabled", "a_enabled"}, set()) == "a_enabled=YES\nb_enabled=YES\n"
    assert with_enabled("no newline at the end", set(), set()) == "no newline at the end\n"


def test_the_enabling_variable_comes_from_the_scripts_rcvar(tmp_path: Path) -> None:
    script = tmp_path / "svc"
    script.write_text('#!/bin/sh\n. /etc/rc.subr\n\nname="svc"\nrcvar=${name}_enable\n\nload_rc_config $name\n')
    assert enabling_variable("svc", str(script)) == "svc_enable"
    script.write_text('#!/bin/sh\n. /etc/rc.subr\n\nname="svc"\n\nload_rc_config $name\n')
    assert enabling_variable("svc", str(script)) is None
