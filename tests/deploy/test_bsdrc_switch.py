"""nixproc-bsdrc-switch with processes that really run, their scripts run against a STAND-IN rc.subr.

FreeBSD's rc.subr and ``daemon(8)`` do not exist here, and the generated
scripts name them by absolute path (``. /etc/rc.subr``,
``command=/usr/sbin/daemon``). So every switch runs in a private mount
namespace (``unshare --mount``) where ``/etc`` and ``/usr/sbin`` are
overlays on a tmpfs holding the STAND-INS of ``tests/backends/bsdrc/stand_ins``
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

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from webapps_deployment import MARKER_VARIABLE, WebappsDeployment, alive, kill_marked, start_time

from nixproc_disnix.backends.bsdrc.switch import enabling_variable, with_enabled
from nixproc_disnix.deploy.plan import SwitchPlan
from nixproc_disnix.model.deployed_profile import read_profile

STAND_INS = Path(__file__).resolve().parents[1] / "backends" / "bsdrc" / "stand_ins"

NAMESPACE_SETUP = r"""
set -e
layers=$1 rc_subr=$2 daemon=$3
shift 3
mount -t tmpfs nixproc-test-layers "$layers"
for dir in /etc /usr/sbin; do
	mkdir -p "$layers$dir/upper" "$layers$dir/work"
	mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layers$dir/upper,workdir=$layers$dir/work" "$dir"
done
cp "$rc_subr" /etc/rc.subr
cp "$daemon" /usr/sbin/daemon
chmod 755 /usr/sbin/daemon
exec "$@"
"""
"""Run in the new mount namespace: the stand-ins where the scripts look for rc.subr and daemon(8), then the command."""

SWITCH = r"""
import json, sys
from nixproc_disnix.deploy.build import BuildRequest
from nixproc_disnix.deploy.switch import SwitchOptions, switch
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import open_store

asked = json.loads(sys.argv[1])
dirs = StateDirs(state_dir=asked["state_dir"], force_disable_user_change=True)
options = SwitchOptions("bsdrc", asked["profile"], state_dirs=dirs)
with open_store(asked["store"]) as store:
    try:
        plan = switch(store, options, BuildRequest("bsdrc", asked["model"], dirs), lambda line: print(line, file=sys.stderr))
    except DeployError as error:
        print(error.message)
        sys.exit(1)
print(plan.model_dump_json())
"""
"""A switch in the namespace; prints the plan as JSON, or the error."""

CLI = "from nixproc_disnix.cli.switch import bsdrc; bsdrc.switch()"


def namespaces_work() -> bool:
    try:
        return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


in_namespaces = pytest.mark.skipif(not namespaces_work(), reason="needs private mount namespaces (root, unshare --mount)")


class NamespacedDeployment(WebappsDeployment):
    """The webapps deployed by switches run in a mount namespace with the stand-ins."""

    def __init__(self, root: Path, store_dir: Path) -> None:
        super().__init__(root, store_dir, "bsdrc")
        self.layers = root / "layers"
        self.layers.mkdir()
        self.daemon = root / "daemon"
        self.daemon.write_text(f"#!{sys.executable}\n" + (STAND_INS / "daemon.py").read_text())

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """``argv`` in a new mount namespace with the stand-ins in place."""
        return subprocess.run(
            ["unshare", "--mount", "--", "sh", "-c", NAMESPACE_SETUP, "sh", str(self.layers),
             str(STAND_INS / "rc.subr"), str(self.daemon), *argv],
            capture_output=True, text=True, timeout=120,
        )

    def switch_in_namespace(self, undeploy: bool = False) -> tuple[SwitchPlan | None, str]:
        """A switch (the model, or nothing with ``undeploy``); its plan, or None and the error."""
        asked = {"store": str(self.store_dir), "profile": str(self.profile), "state_dir": str(self.state),
                 "model": None if undeploy else str(self.model)}
        result = self.run(sys.executable, "-c", SWITCH, json.dumps(asked))
        if result.returncode != 0:
            assert result.returncode == 1 and result.stdout, result.stderr
            return None, result.stdout.strip()
        return SwitchPlan.model_validate_json(result.stdout), ""

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
    plan, error = deployment.switch_in_namespace()
    assert plan is not None, error
    assert [[process.name for process in level] for level in plan.start] == [["webapp1"], ["webapp2"]]
    first, second = deployment.pid("webapp1"), deployment.pid("webapp2")
    assert first is not None and second is not None and start_time(first) <= start_time(second)
    assert deployment.answer("webapp1") == "webapp1" and deployment.answer("webapp2") == "webapp2"
    assert not (deployment.root / "rc.d").exists() and not (deployment.root / "rc.conf").exists()

    again, error = deployment.switch_in_namespace()
    assert again is not None and again.is_empty, error
    assert (deployment.pid("webapp1"), deployment.pid("webapp2")) == (first, second)

    deployment.move("webapp2")
    changed, error = deployment.switch_in_namespace()
    assert changed is not None and changed.restart == ("webapp2",) and changed.unchanged == ("webapp1",), error
    assert deployment.pid("webapp1") == first and not alive(second)
    assert deployment.pid("webapp2") is not None and deployment.answer("webapp2") == "webapp2"
    assert deployment.generations() == [(1, False), (2, True)]

    undeployed, error = deployment.switch_in_namespace(undeploy=True)
    assert undeployed is not None, error
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
    plan, error = deployment.switch_in_namespace()
    assert plan is not None, error
    first, second = deployment.pid("webapp1"), deployment.pid("webapp2")
    model = deployment.model.read_text()
    assert "    user = instanceName;\n" in model
    deployment.model.write_text(model.replace(
        "    user = instanceName;\n",
        '    user = instanceName;\n    initialize = if instanceName == "webapp2" then "exit 1" else "";\n',
    ))
    failed, error = deployment.switch_in_namespace()
    assert failed is None
    assert error == "cannot start webapp2: webapp2 onestart exited with status 1; rolled back to the previous deployment"
    assert deployment.pid("webapp1") == first and second is not None and not alive(second)
    assert deployment.pid("webapp2") is not None and deployment.answer("webapp2") == "webapp2"
    assert deployment.generations() == [(1, True)]


@pytest.mark.integration
@in_namespaces
def test_enable_at_boot_links_enables_starts_and_undeploy_takes_it_all_back(deployment: NamespacedDeployment) -> None:
    rc_conf, target = deployment.root / "rc.conf", deployment.root / "rc.d"
    rc_conf.write_text('hostname="test"\nsshd_enable=YES\n')
    common = ["--enable-at-boot", "--store-dir", str(deployment.store_dir), "--state-dir", str(deployment.state),
              "--force-disable-user-change", "-p", str(deployment.profile)]

    deployed = deployment.run(sys.executable, "-c", CLI, *common, str(deployment.model))
    assert deployed.returncode == 0, deployed.stderr
    out = {name: process.out_path for name, process in read_profile(str(deployment.profile)).processes.items()}
    assert {entry.name: os.readlink(entry) for entry in target.iterdir()} == {
        name: os.path.join(out[name], "etc", "rc.d", name) for name in ("webapp1", "webapp2")
    }
    assert rc_conf.read_text() == 'hostname="test"\nsshd_enable=YES\nwebapp1_enabled=YES\nwebapp2_enabled=YES\n'
    assert deployment.answer("webapp1") == "webapp1" and deployment.answer("webapp2") == "webapp2"

    undeployed = deployment.run(sys.executable, "-c", CLI, *common, "--undeploy")
    assert undeployed.returncode == 0, undeployed.stderr
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
