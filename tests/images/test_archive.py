"""The docker-archive writer and reader: docker save's layout, reproducible bytes, every digest checked."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from nixproc_disnix.errors import BuildError
from nixproc_disnix.image.archive import ImageIdentity, Layer, architecture, chain_ids, read_archive, write_archive
from nixproc_disnix.image.tree import Directory, RegularFile, Symlink, write_layer
from nixproc_disnix.model.docker_archive import ContainerConfig

IDENTITY = ImageIdentity(name="multiprocess", tag="test", system="x86_64-linux", created="1970-01-01T00:00:01Z")


def layers(tmp_path: Path) -> list[Layer]:
    script = tmp_path / "run"
    script.write_text("#!/bin/sh\necho hello\n")
    return [
        Layer({"/usr/bin/run": RegularFile(str(script), 0o755), "/bin/run": Symlink("/usr/bin/run")}, "programs"),
        Layer({"/tmp": Directory(0o1777)}, "root"),
    ]


def test_an_archive_has_docker_saves_layout_and_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "image.tar"
    config = ContainerConfig.model_validate({"Cmd": ["/bin/run"], "Env": ["A=1"], "WorkingDir": "/"})
    write_archive(str(out), IDENTITY, config, layers(tmp_path))
    archive = read_archive(str(out))
    (entry,) = archive.manifest.root
    assert entry.repo_tags == ["multiprocess:test"]
    assert archive.config.config == config and archive.config.architecture == "amd64"
    assert len(archive.config.rootfs.diff_ids) == len(entry.layers) == len(archive.config.history) == 2
    top = entry.layers[-1].split("/")[0]
    assert archive.repositories.root == {"multiprocess": {"test": top}}
    with tarfile.open(out) as tar:
        names = tar.getnames()
        assert names == sorted(names)
        for layer in entry.layers:
            directory = layer.split("/")[0]
            assert tar.extractfile(f"{directory}/VERSION").read() == b"1.0"
            legacy = json.loads(tar.extractfile(f"{directory}/json").read())
            assert legacy["id"] == directory
        config_json = tar.extractfile(entry.config).read()
        assert hashlib.sha256(config_json).hexdigest() + ".json" == entry.config
        assert b" " not in config_json, "canonical JSON: no spaces"


def test_the_same_layers_give_the_same_bytes(tmp_path: Path) -> None:
    config = ContainerConfig.model_validate({"Cmd": ["/bin/run"]})
    first, second = tmp_path / "first.tar", tmp_path / "second.tar"
    write_archive(str(first), IDENTITY, config, layers(tmp_path))
    write_archive(str(second), IDENTITY, config, layers(tmp_path))
    assert first.read_bytes() == second.read_bytes()


def test_a_layer_is_sorted_owned_by_root_with_fixed_times_and_parents(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"x" * 10)
    sink = io.BytesIO()
    diff_id = write_layer({"/b/c/file": RegularFile(str(data), 0o644), "/a": Symlink("b")}, sink)
    assert diff_id == hashlib.sha256(sink.getvalue()).hexdigest()
    members = tarfile.open(fileobj=io.BytesIO(sink.getvalue())).getmembers()
    assert [m.name for m in members] == ["a", "b", "b/c", "b/c/file"]
    assert all(m.mtime == 1 and m.uid == m.gid == 0 and m.uname == m.gname == "" for m in members)
    assert members[0].issym() and members[0].linkname == "b"
    assert members[1].isdir() and members[1].mode == 0o755 and members[3].size == 10


def test_chain_ids_follow_oci() -> None:
    first, second = "a" * 64, "b" * 64
    chain = chain_ids([first, second])
    assert chain[0] == first
    assert chain[1] == hashlib.sha256(f"sha256:{first} sha256:{second}".encode()).hexdigest()


def test_config_keys_are_read_in_any_case_and_written_in_dockers() -> None:
    config = ContainerConfig.model_validate({"cmd": "/bin/init", "env": ["A=1"], "exposedPorts": {"80/tcp": {}}})
    assert json.loads(config.render()) == {"Cmd": ["/bin/init"], "Env": ["A=1"], "ExposedPorts": {"80/tcp": {}}}
    with pytest.raises(ValueError, match="given twice"):
        ContainerConfig.model_validate({"cmd": ["a"], "Cmd": ["b"]})


def test_architectures() -> None:
    assert architecture("aarch64-linux") == "arm64"
    with pytest.raises(BuildError, match="no Docker architecture"):
        architecture("mips-linux")


def test_a_layer_not_matching_its_diff_id_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "image.tar"
    write_archive(str(out), IDENTITY, ContainerConfig(), layers(tmp_path))
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(out) as source, tarfile.open(tampered, "w") as target:
        for member in source.getmembers():
            content = source.extractfile(member) if member.isfile() else None
            if member.name.endswith("layer.tar"):
                data = content.read() + b"\0" * 512
                member.size = len(data)
                content = io.BytesIO(data)
            target.addfile(member, content)
    with pytest.raises(BuildError, match="does not match its diff_id"):
        read_archive(str(tampered))
