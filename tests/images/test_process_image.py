"""The image the docker backend builds into each process's output: what it holds, read without a Docker engine.

The webapps fixture is built with the docker backend, its users changed (so
the processes have accounts); each output's ``<name>-docker-image.tar.gz``
is read back with our archive reader (every digest checked) and its layers
are searched for what the container's command needs.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tarfile
from pathlib import Path

import pytest

from nixproc_disnix.deploy.build import BuildRequest, build_profile
from nixproc_disnix.image.archive import DockerArchive, read_archive
from nixproc_disnix.model.deployed_profile import DeployedProcess, read_profile
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import open_store, remove_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
from webapps_deployment import WebappsDeployment  # noqa: E402


def build(webapps: WebappsDeployment) -> dict[str, DeployedProcess]:
    """The webapps fixture's docker profile, with accounts."""
    with open_store(str(webapps.store_dir)) as store:
        profile = build_profile(store, BuildRequest("docker", str(webapps.model), StateDirs(state_dir="/var")))
    return read_profile(profile).processes


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[WebappsDeployment, dict[str, DeployedProcess]]:
    root = tmp_path_factory.mktemp("process-image")
    webapps = WebappsDeployment(root / "deployment", root / "root" / "store", "docker")
    return webapps, build(webapps)


def image_of(process: DeployedProcess) -> Path:
    return Path(process.out_path) / f"{process.name}-docker-image.tar.gz"


ACCOUNT_FILES = ("/etc/passwd", "/etc/group", "/etc/shadow")


def image_contents(archive: Path) -> tuple[DockerArchive, dict[str, tarfile.TarInfo], dict[str, str]]:
    """The archive (checked by :func:`read_archive`), every entry of every layer by image path (upper
    layers over lower ones), and the account files' text."""
    checked = read_archive(str(archive))
    entries: dict[str, tarfile.TarInfo] = {}
    accounts: dict[str, str] = {}
    with tarfile.open(archive) as outer:
        for layer in checked.layers:
            member = outer.extractfile(layer)
            assert member is not None
            with tarfile.open(fileobj=member, mode="r|") as tar:
                for info in tar:
                    path = "/" + info.name.rstrip("/")
                    entries[path] = info
                    if path in ACCOUNT_FILES:
                        extracted = tar.extractfile(info)
                        assert extracted is not None
                        accounts[path] = extracted.read().decode()
    return checked, entries, accounts


def test_each_output_holds_an_image_of_what_its_command_needs(
    built: tuple[WebappsDeployment, dict[str, DeployedProcess]]
) -> None:
    _, processes = built
    for name in ("webapp1", "webapp2"):
        process = processes[name]
        archive, entries, accounts = image_contents(image_of(process))
        assert archive.manifest.root[0].repo_tags == [f"{name}:latest"]
        config = archive.config.config
        proxy = f"{process.out_path}/bin/{name}-foregroundproxy.sh"
        assert config.cmd is not None and config.cmd[0] == proxy and config.cmd[1].endswith("-webapp.py")
        # The output itself, the store paths it names (the host python package, the webapp), their host files.
        assert entries[proxy].isfile() and entries[proxy].mode == 0o555 and entries[config.cmd[1]].isfile()
        python_link = next(path for path in entries if path.endswith("-python3/bin/python3"))
        assert entries[python_link].issym()
        python = os.path.realpath(entries[python_link].linkname)
        assert entries[python].isfile() or entries[python].issym()
        assert any(path.endswith("/libc.so.6") for path in entries)
        # webapp2's output names webapp1's (its dependency), whose image is not webapp2's to carry.
        assert [path for path in entries if path.endswith("-docker-image.tar.gz")] == []
        # The proxy's interpreter, our tools the proxy runs, and upstream's base programs for initialize.
        assert "/bin/bash" in entries and entries["/bin/nixproc-init-state"].isfile()
        mkdir = entries["/bin/mkdir"]
        assert mkdir.issym() and os.path.realpath(mkdir.linkname) in entries
        assert entries["/tmp"].isdir() and entries["/tmp"].mode == 0o1777
        assert entries["/var/run"].issym() and entries["/var/run"].linkname == "/run"
        # The accounts: root, then the process's own, as dysnomia-addusers would have made them.
        passwd = accounts["/etc/passwd"].splitlines()
        assert passwd[0].startswith("root:x:0:0:") and passwd[1] == f"{name}:x:1000:1000:Webapp {name}:/dev/null:"
        assert accounts["/etc/group"].splitlines()[1] == f"{name}:x:1000:"
        assert f"{name}:!:" in accounts["/etc/shadow"]


def test_an_image_is_reproducible(built: tuple[WebappsDeployment, dict[str, DeployedProcess]]) -> None:
    """The same model built again in a new store at the same place gives the same bytes."""
    webapps, processes = built
    digest = hashlib.sha256(image_of(processes["webapp1"]).read_bytes()).hexdigest()
    remove_tree(str(webapps.store_dir.parent))
    again = build(webapps)
    assert again["webapp1"].out_path == processes["webapp1"].out_path
    assert hashlib.sha256(image_of(again["webapp1"]).read_bytes()).hexdigest() == digest
