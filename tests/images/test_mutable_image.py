"""createMutableMultiProcessImage: the processes are deployed inside the running container, by our own tools."""
from __future__ import annotations

import functools
import importlib.util
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from image_runner import SYSTEM_PATH, can_run_images, run_image, unpack
from nixproc_disnix.deploy.image import ImageRequest, build_image, image_derivation
from nixproc_disnix.image.archive import read_archive
from nixproc_disnix.store.store import Store

# A model without local files: only /etc/nixproc/processes.nix goes into the image, as upstream.
MODEL = """
{ pkgs ? import <nixpkgs> { inherit system; }, system ? builtins.currentSystem, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run", logDir ? "${stateDir}/log"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp"), forceDisableUserChange ? false, processManager }:

let
  createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager;
  };

  source = builtins.toFile "webapp.py" ''
    import os
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = os.environ["NAME"].encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
  '';

  # Instances are named by instanceName, so each gets its own PID file.
  webapp = name: port: { pkg = createManagedProcess {
    instanceName = name;
    foregroundProcess = "${pkgs.python3}/bin/python3";
    foregroundProcessArgs = [ source ];
    environment = { NAME = name; PORT = port; };
    user = name;
    credentials = { groups.${name}.gid = port; users.${name} = { uid = port; group = name; }; };
    overrides.sysvinit.runlevels = [ 3 4 5 ];
  }; };
in
{
  webapp1 = webapp "webapp1" 5001;
  # webapp2 = webapp "webapp2" 5002;
}
"""

IMAGE = """
{ pkgs ? import <nixpkgs> {}, processManager ? "sysvinit" }:

import <nix-processmgmt/nixproc/create-image-from-steps/create-mutable-multi-process-image-universal.nix> { inherit pkgs; } {
  name = "mutable";
  tag = "test";
  exprFile = ./model/processes.nix;
  inherit processManager;
}
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("mutable")
    (work / "model").mkdir()
    (work / "model/processes.nix").write_text(MODEL)
    (work / "image.nix").write_text(IMAGE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", SYSTEM_PATH)
        yield work


@pytest.fixture(scope="module")
def store(workdir: Path) -> Iterator[Store]:
    with Store(str(workdir / "root")) as opened:
        yield opened


@pytest.fixture(scope="module")
def image(workdir: Path, store: Store) -> Callable[[str], Path]:
    """The image for a process manager, built on first use."""

    @functools.cache
    def build(manager: str) -> Path:
        return Path(build_image(store, ImageRequest(str(workdir / "image.nix"), argstrs={"processManager": manager})))

    return build


@pytest.mark.parametrize("manager", ["supervisord", "sysvinit", "s6-rc", "disnix"])
def test_each_manager_starts_empty_and_bootstraps_a_switch(workdir: Path, store: Store, manager: str) -> None:
    request = ImageRequest(str(workdir / "image.nix"), argstrs={"processManager": manager}, pkgs="stub")
    env = store.read_derivation(image_derivation(store, request)).env
    config = json.loads(env["config"])
    assert config["Cmd"] == ["/bin/bootstrap"]
    assert "NIXPROC_PROCESSES=/etc/nixproc/processes.nix" in config["Env"]
    assert f"NIXPROC_STORE_DIR={store.store_dir}" in config["Env"]
    assert any(path.endswith("-nixproc-tools") for path in env["contents"].split())
    assert "etc/nixproc/processes.nix" in env["extraCommands"] and "cp " in env["extraCommands"]
    assert "-bootstrap bin/bootstrap" in env["extraCommands"]


def test_the_image_holds_our_tools_a_registered_store_and_the_model(
        image: Callable[[str], Path], store: Store, tmp_path: Path) -> None:
    root = tmp_path / "root"
    unpack(image("sysvinit"), root)
    assert (root / "etc/nixproc/processes.nix").read_text() == MODEL
    switch = (root / "bin/nixproc-sysvinit-switch").read_text()
    assert switch.startswith("#!/") and "from nixproc_disnix.cli.switch import sysvinit" in switch
    bootstrap = (root / "bin/bootstrap").read_text()
    assert "nixproc-sysvinit-switch" in bootstrap and "compound-proxy-script" in bootstrap
    database = root / store.root.lstrip("/") / "db.sqlite"
    with sqlite3.connect(database) as db:
        valid = {row[0] for row in db.execute("SELECT path FROM ValidPaths")}
    in_image = {f"{store.store_dir}/{entry.name}" for entry in (root / store.store_dir.lstrip("/")).iterdir()}
    # What the image was made from at build time (its accounts, this database) is garbage inside it.
    assert valid == {path for path in in_image if not path.endswith(("-image-store-registration", "-image-accounts"))}
    roots = root / store.root.lstrip("/") / "image-roots"
    assert (root / store.root.lstrip("/") / "gcroots/auto/image").is_symlink() and any(roots.iterdir())
    assert read_archive(str(image("sysvinit"))).config.config.cmd == ["/bin/bootstrap"]


needs_chroot = pytest.mark.skipif(not can_run_images(), reason="running an image needs root, unshare and ip")


def switch_exists(manager: str) -> bool:
    return importlib.util.find_spec(f"nixproc_disnix.backends.{manager}.switch") is not None


@pytest.mark.integration
@needs_chroot
@pytest.mark.parametrize("manager", [
    "sysvinit",
    pytest.param("supervisord", marks=pytest.mark.skipif(not switch_exists("supervisord"),
                                                         reason="nixproc-supervisord-switch does not deploy yet")),
])
def test_the_container_deploys_the_model_redeploys_a_change_and_resumes_after_a_restart(
        image: Callable[[str], Path], tmp_path: Path, store: Store, manager: str) -> None:
    root = tmp_path / "root"
    profile = f"{store.root}/profiles/processes"
    changed = MODEL.replace("# webapp2", "webapp2")
    redeploy = f"""
        for attempt in $(seq 100); do [ -e "$root{profile}" ] && break; sleep 0.2; done
        cat > "$root/etc/nixproc/processes.nix" <<'MODEL'
{changed}
MODEL
        in_container nixproc-{manager}-switch
        for attempt in $(seq 50); do curl -sf http://127.0.0.1:5002 >/dev/null && break; sleep 0.2; done
        echo "after the switch: $(curl -s http://127.0.0.1:5002)"
    """
    first = run_image(image(manager), root, [5001], inside=redeploy)
    assert "port 5001: webapp1" in first, first
    assert "after the switch: webapp2" in first, first
    assert "\nexit status 0\n" in first and "python" not in first.split("\nleft running:")[1], first
    assert (root / "bin/bootstrap").read_text().count("\n") == 2, "later starts only start the manager"
    # A restart: the same container's files, started again, run the last deployment without switching.
    second = run_image(image(manager), root, [5001, 5002])
    assert "port 5001: webapp1" in second and "port 5002: webapp2" in second, second
    assert "\nexit status 0\n" in second, second
