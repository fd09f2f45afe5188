"""``builtin:nixproc-files``: generated files written into the store without a shell."""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from nixproc_disnix.backends.common.backend import Generated
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink
from nixproc_disnix.errors import BuildError
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.generated_files import files_json, request
from nixproc_disnix.store import profile_env
from nixproc_disnix.store.instantiate import DerivationRequest, instantiate_derivation
from nixproc_disnix.store.modulo import DrvHashes
from nixproc_disnix.store.store import Store

HOSTILE = "it's $(touch pwned) `touch pwned` \"q\"\nnext line é"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "root")) as s:
        yield s


def built(store: Store, generated: Generated) -> Path:
    instantiated = instantiate_derivation(generated.derivation_request("x86_64-linux"), DrvHashes(store.store_dir))
    drv_path = store.add_derivation(instantiated)
    return Path(build(store, drv_path)["out"])


def test_files_symlinks_and_modes(store: Store, tmp_path: Path) -> None:
    generated = Generated("demo", {
        "etc/init.d/demo": GeneratedFile(HOSTILE, executable=True),
        "etc/conf": GeneratedFile("plain\n"),
        "etc/rc3.d/S00demo": Symlink("../init.d/demo"),
    })
    out = built(store, generated)
    assert (out / "etc/init.d/demo").read_text() == HOSTILE
    assert os.stat(out / "etc/init.d/demo").st_mode & 0o777 == 0o555  # read-only once built
    assert os.stat(out / "etc/conf").st_mode & 0o777 == 0o444
    assert os.readlink(out / "etc/rc3.d/S00demo") == "../init.d/demo"
    assert not list(tmp_path.rglob("pwned"))


def test_post_install_runs_in_the_output(store: Store) -> None:
    out = built(store, Generated("post", {"a": GeneratedFile("x")}, post_install='cp a "$out/b"'))
    assert (out / "b").read_text() == "x"


def test_failing_post_install_leaves_no_output(store: Store) -> None:
    generated = Generated("bad", {"a": GeneratedFile("x")}, post_install="echo broken >&2; exit 3")
    with pytest.raises(BuildError, match="postInstall of 'bad' failed with exit code 3"):
        built(store, generated)
    assert not [p for p in os.listdir(store.store_dir) if p.endswith("-bad")]


def test_paths_outside_the_output_are_refused(store: Store) -> None:
    with pytest.raises(BuildError, match="writes outside its output"):
        built(store, Generated("escape", {"../x": GeneratedFile("x")}))


def test_mentioned_valid_store_paths_become_references(store: Store) -> None:
    dependency = built(store, Generated("dep", {"bin/dep": GeneratedFile("#!/bin/sh\n", executable=True)}))
    missing = f"{store.store_dir}/{'a' * 32}-missing"
    out = built(store, Generated("user", {"run": GeneratedFile(f"exec {dependency}/bin/dep {missing}\n")}))
    assert store.references(str(out)) == frozenset({str(dependency)})


def test_same_files_same_derivation_as_the_nix_spelling() -> None:
    files = {"a": {"content": "é", "executable": False}}
    assert files_json(files) == '{"a":{"content":"\\u00e9","executable":false}}'
    assert request("n", "s", files_json(files)).env["builder"] == "builtin:nixproc-files"


def test_the_out_placeholder_becomes_the_output_path(store: Store) -> None:
    from nixproc_disnix.backends.common.output import in_output

    out = built(store, Generated("self", {
        "etc/conf": GeneratedFile(f"command={in_output('bin/run')}\n"),
        "bin/link": Symlink(in_output("bin/run")),
    }))
    assert (out / "etc/conf").read_text() == f"command={out}/bin/run\n"
    assert os.readlink(out / "bin/link") == f"{out}/bin/run"


def test_outputs_the_files_mention_are_built_first_and_become_references(store: Store) -> None:
    """One build of a profile-like derivation whose inputs are both a program and files naming it."""
    hashes = DrvHashes(store.store_dir)
    for attempt in range(100):
        # Inputs are walked in .drv path order: pick names that would build the config first.
        name = f"program-{attempt}"
        program = instantiate_derivation(DerivationRequest(
            name=name, system="x86_64-linux", builder="/bin/sh", args=("-c", "echo > $out"),
            env={"name": name, "builder": "/bin/sh", "system": "x86_64-linux"},
        ), hashes)
        files = Generated("config", {"run": GeneratedFile(f"exec {program.output_paths['out']}\n")})
        config = instantiate_derivation(files.derivation_request("x86_64-linux"), hashes)
        if config.drv_path > program.drv_path:
            break
    store.add_derivation(program)
    store.add_derivation(config)
    profile = replace(
        profile_env.request("profile", "x86_64-linux", [config.output_paths["out"]]),
        input_drvs={program.drv_path: ["out"], config.drv_path: ["out"]},
    )
    build(store, store.add_derivation(instantiate_derivation(profile, hashes)))
    assert store.references(config.output_paths["out"]) == frozenset({program.output_paths["out"]})
