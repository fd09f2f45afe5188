"""createMultiProcessImage: images of the webapps model built by our builder, checked as files and run for real."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_runner import SYSTEM_PATH, can_run_images, run_image, unpack
from nixproc_disnix.deploy.image import ImageRequest, build_image, image_derivation
from nixproc_disnix.errors import EvalError
from nixproc_disnix.image.archive import read_archive
from nixproc_disnix.store.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/webapps"
PORTS = {"webapp1": 5001, "webapp2": 5002}

IMAGE = """
{ pkgs ? import <nixpkgs> {}, processManager ? "supervisord", forceDisableUserChange ? "" }:

import <nix-processmgmt/nixproc/create-image-from-steps/create-multi-process-image-universal.nix> { inherit pkgs; } {
  name = "multiprocess";
  tag = "test";
  exprFile = ./model/processes.nix;
  inherit processManager;
  forceDisableUserChange = forceDisableUserChange == "1";
}
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The webapps model with fixed ports and ids, an image expression, host packages from system directories."""
    work = tmp_path_factory.mktemp("images")
    shutil.copytree(FIXTURE, work / "model")
    ids = {"webappPorts": PORTS, "uids": {"webapp1": 2001, "webapp2": 2002}, "gids": {"webapp1": 2001, "webapp2": 2002}}
    (work / "model/ids.nix").write_text("builtins.fromJSON ''" + json.dumps({"ids": ids}) + "''\n")
    (work / "image.nix").write_text(IMAGE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", SYSTEM_PATH)
        yield work


@pytest.fixture(scope="module")
def store(workdir: Path) -> Iterator[Store]:
    with Store(str(workdir / "root")) as opened:
        yield opened


def request(workdir: Path, manager: str, pkgs: str = "host", **argstrs: str) -> ImageRequest:
    return ImageRequest(str(workdir / "image.nix"), argstrs={"processManager": manager, **argstrs}, pkgs=pkgs)


def attributes(store: Store, image_request: ImageRequest) -> dict[str, str]:
    return dict(store.read_derivation(image_derivation(store, image_request)).env)


@pytest.fixture(scope="module")
def images(workdir: Path, store: Store) -> dict[str, Path]:
    return {manager: Path(build_image(store, request(workdir, manager))) for manager in ("supervisord", "sysvinit")}


# Evaluation: what each manager's steps put in the image (no host packages needed).

@pytest.mark.parametrize(("manager", "command", "packages", "commands"), [
    ("supervisord", ["-supervisor/bin/supervisord", "--nodaemon", "--configuration", "/etc/supervisor/supervisord.conf"],
     ["-supervisor"], ["-supervisord.d etc/supervisor"]),
    ("sysvinit", ["-compound-proxy-script"], ["-sysvinit", "-daemon"], ["-rc.d/etc/rc.d etc/rc.d"]),
    ("s6-rc", ["/bin/init"], ["-s6-linux-init", "-s6-rc", "-execline"],
     ["s6-linux-init-maker -c /etc/s6/current", "s6-rc-compile etc/s6/rc/compiled"]),
    ("disnix", ["-compound-proxy-script"], ["-disnix", "-dysnomia"], []),
])
def test_each_managers_steps(workdir: Path, store: Store, manager: str, command: list[str], packages: list[str],
                             commands: list[str]) -> None:
    env = attributes(store, request(workdir, manager, pkgs="stub"))
    config = json.loads(env["config"])
    assert len(config["Cmd"]) >= len(command)
    assert all(part in word for part, word in zip(command, config["Cmd"]))
    contents = env["contents"].split()
    for package in ["-bash", "-coreutils", "-su", "-shadow", "-image-accounts", *packages]:
        assert any(path.endswith(package) for path in contents), package
    for line in ["chmod 1777 tmp", "ln -s ../run var/run", "cat > etc/pam.d/su", "mkdir -p var/log", *commands]:
        assert line in env["extraCommands"], line
    assert (env["imageName"], env["imageTag"]) == ("multiprocess", "test")


def test_interactive_and_manpages_choose_the_tools(workdir: Path, store: Store) -> None:
    (workdir / "plain.nix").write_text(IMAGE.replace('tag = "test";', 'tag = "test"; interactive = false;'))
    plain = attributes(store, ImageRequest(str(workdir / "plain.nix"), pkgs="stub"))
    assert not any(path.endswith("-less") for path in plain["contents"].split())
    assert "root/.bashrc" not in plain["extraCommands"]
    (workdir / "man.nix").write_text(IMAGE.replace('tag = "test";', 'tag = "test"; manpages = true;'))
    man = attributes(store, ImageRequest(str(workdir / "man.nix"), pkgs="stub"))
    assert any(path.endswith("-groff") for path in man["contents"].split())
    assert "MANPATH=/share/man:/nix/var/nix/profiles/default/share/man" in json.loads(man["config"])["Env"]


@pytest.mark.parametrize(("change", "message"), [
    ('processManager = "systemd";', "no image steps for process manager 'systemd' .*supervisord, sysvinit"),
    ('inherit processManager; runAsRoot = "useradd x";', "runAsRoot needs a virtual machine"),
    ('inherit processManager; fromImage = ./base.tar;', "fromImage is not supported"),
])
def test_what_cannot_be_built_is_said(workdir: Path, store: Store, change: str, message: str) -> None:
    (workdir / "bad.nix").write_text(IMAGE.replace("inherit processManager;", change))
    with pytest.raises(EvalError, match=message):
        image_derivation(store, ImageRequest(str(workdir / "bad.nix"), pkgs="stub"))


# The built images, as files.

def test_the_supervisord_image_holds_what_its_command_needs(images: dict[str, Path], tmp_path: Path) -> None:
    archive = read_archive(str(images["supervisord"]))
    assert archive.manifest.root[0].repo_tags == ["multiprocess:test"]
    assert [entry.comment for entry in archive.config.history] == [
        "host files the packages need", "store paths", "image root: contents and extraCommands"]
    root = tmp_path / "root"
    config = unpack(images["supervisord"], root)
    supervisord = Path(config.cmd[0])
    # Every link on the way to the program and its interpreter resolves inside the image.
    resolved = resolve_in(root, supervisord)
    interpreter = (root / resolved.relative_to("/")).read_text().splitlines()[0].removeprefix("#!").split()[0]
    python = resolve_in(root, Path(interpreter))
    assert python.name.startswith("python3")
    with open(root / python.relative_to("/"), "rb") as elf:
        assert elf.read(4) == b"\x7fELF"
    assert (root / "usr/lib/python3/dist-packages/supervisor/supervisord.py").exists()
    passwd = (root / "etc/passwd").read_text()
    assert "webapp1:x:2001:2001:" in passwd and passwd.startswith("root:x:0:0::/root:")
    assert stat.S_IMODE((root / "tmp").lstat().st_mode) == 0o1777
    assert os.readlink(root / "var/run") == "../run"
    assert (root / "etc/supervisor/conf.d/webapp1.conf").exists()


def resolve_in(root: Path, path: Path) -> Path:
    """``path`` with every symlink followed as inside the image rooted at ``root``."""
    parts = list(path.parts[1:])
    current = Path("/")
    for _ in range(100):
        if not parts:
            return current
        candidate = current / parts.pop(0)
        host = root / candidate.relative_to("/")
        if host.is_symlink():
            target = Path(os.readlink(host))
            parts = [*(target if target.is_absolute() else candidate.parent / target).parts[1:], *parts]
            current = Path("/")
        else:
            assert host.exists(), f"{candidate} is missing in the image"
            current = candidate
    raise AssertionError(f"too many links resolving {path}")


def test_images_are_reproducible(workdir: Path, store: Store, images: dict[str, Path]) -> None:
    archive = images["sysvinit"]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    store.invalidate([str(archive)])
    store.delete_path(str(archive))
    assert build_image(store, request(workdir, "sysvinit")) == str(archive)
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == digest
    with tarfile.open(archive) as tar:
        assert all(member.mtime == 1 and member.uid == 0 for member in tar.getmembers())


def test_the_command_builds_an_image_and_links_it(workdir: Path, store: Store, images: dict[str, Path]) -> None:
    command = [sys.executable, "-m", "nixproc_disnix.cli", "build-image", str(workdir / "image.nix"),
               "--argstr", "processManager", "supervisord", "--store-dir", store.store_dir, "-o", "image"]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(images["supervisord"]) == os.readlink(workdir / "image")
    failed = subprocess.run([*command[:5], "--argstr", "processManager", "launchd", "--store-dir", store.store_dir],
                            cwd=workdir, capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stderr.startswith("error: no image steps for process manager 'launchd'")
    assert len(failed.stderr.splitlines()) == 1


# The built images, run.

needs_chroot = pytest.mark.skipif(not can_run_images(), reason="running an image needs root, unshare and ip")


@pytest.mark.integration
@needs_chroot
@pytest.mark.parametrize("manager", ["supervisord", "sysvinit"])
def test_the_image_runs_the_webapps_under_its_manager(images: dict[str, Path], tmp_path: Path, manager: str) -> None:
    output = run_image(images[manager], tmp_path / "root", list(PORTS.values()), inside="ps -ww -e -o user=,args=")
    for name, port in PORTS.items():
        assert f"port {port}: {name}" in output, output
    processes = output.split("\nexit status")[0]
    manager_process = "supervisord --nodaemon" if manager == "supervisord" else "compound-proxy-script"
    assert manager_process in processes, output
    for name in PORTS:
        assert any(line.split()[0] in (name, str(2000 + int(name[-1]))) and "webapp.py" in line
                   for line in processes.splitlines() if line.strip()), f"{name} runs as itself:\n{output}"
    assert "\nexit status 0\n" in output, output
    assert "python" not in output.split("\nleft running:")[1], output
