from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.hashing import HASH_SIZES
from nixproc_disnix.store.nar import nar_chunks, nar_hash
from nixproc_disnix.store.source import source_store_path
from store_oracle import NixOracle

# A generated tree: bytes for a file, (bytes, True) for an executable, str for a symlink target, dict for a directory.
Tree = dict[str, Union[bytes, tuple[bytes, bool], str, "Tree"]]

entry_names = st.text("abcXYZ019._-+=@ \u00e9\u4e2d", min_size=1, max_size=12).filter(lambda n: n not in (".", ".."))
leaves = st.one_of(
    st.binary(max_size=300),
    st.tuples(st.binary(max_size=40), st.just(True)),
    st.text("abc./-", min_size=1, max_size=20),
)
trees: st.SearchStrategy[Tree] = st.recursive(
    st.dictionaries(entry_names, leaves, max_size=5),
    lambda children: st.dictionaries(entry_names, st.one_of(leaves, children), max_size=5),
    max_leaves=20,
)


def materialise(tree: Tree, root: Path) -> None:
    root.mkdir()
    for name, node in tree.items():
        path = root / name
        if isinstance(node, dict):
            materialise(node, path)
        elif isinstance(node, str):
            path.symlink_to(node)
        elif isinstance(node, tuple):
            path.write_bytes(node[0])
            path.chmod(0o755)
        else:
            path.write_bytes(node)
            path.chmod(0o644)


def nar(path: Path, **kwargs: object) -> bytes:
    return b"".join(nar_chunks(str(path), **kwargs))  # type: ignore[arg-type]


def test_filter_sees_every_entry_below_the_root_with_its_type(source_tree: Path) -> None:
    seen: dict[str, str] = {}

    def keep(path: str, kind: str) -> bool:
        seen[os.path.relpath(path, source_tree)] = kind
        return kind != "directory"

    nar(source_tree, filter=keep)
    assert seen == {
        "Zeta": "regular", "dangling": "symlink", "file.txt": "regular", "link": "symlink",
        "run.sh": "regular", "sub": "directory",
    }


def test_a_fifo_is_unsupported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(EvalError, match="has an unsupported type"):
        nar(tmp_path)


@pytest.mark.nix
def test_dump_is_byte_identical_to_nix_store_dump(nix: NixOracle, source_tree: Path) -> None:
    assert nar(source_tree) == nix.run(["nix-store", "--dump", str(source_tree)])
    single = source_tree / "run.sh"
    assert nar(single) == nix.run(["nix-store", "--dump", str(single)])


@pytest.mark.nix
@pytest.mark.parametrize("algo", sorted(HASH_SIZES))
def test_nar_hash_matches_nix_hash(nix: NixOracle, source_tree: Path, algo: str) -> None:
    out = nix.run(["nix-hash", "--type", algo, "--base32", str(source_tree), str(source_tree / "sub")])
    assert out.decode().split() == [nar_hash(str(p), algo).to_string("base32") for p in (source_tree, source_tree / "sub")]


@pytest.mark.nix
@settings(max_examples=15, deadline=None)
@given(trees)
def test_random_trees_dump_like_nix(nix: NixOracle, tree: Tree) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "root"
        materialise(tree, root)
        assert nar(root) == nix.run(["nix-store", "--dump", str(root)])


@pytest.mark.nix
def test_source_paths_match_builtins_path_and_interpolation(nix: NixOracle, source_tree: Path) -> None:
    d = str(source_tree)
    cases: list[tuple[str, str]] = [
        (f'"${{{d}}}"', source_store_path(d)),
        (f'"${{{d}/sub}}"', source_store_path(f"{d}/sub")),
        (f'"${{{d}/file.txt}}"', source_store_path(f"{d}/file.txt")),
        (f'builtins.path {{ path = {d}; name = "foo"; }}', source_store_path(d, "foo")),
        (f"builtins.path {{ path = {d}; }}", source_store_path(d)),
        (
            f'builtins.path {{ path = {d}; name = "no-links"; filter = p: t: t != "symlink"; }}',
            source_store_path(d, "no-links", filter=lambda p, t: t != "symlink"),
        ),
        (
            f'builtins.path {{ path = {d}; name = "top"; filter = p: t: t != "directory"; }}',
            source_store_path(d, "top", filter=lambda p, t: t != "directory"),
        ),
        (
            f'builtins.filterSource (p: t: baseNameOf p != "file.txt") {d}',
            source_store_path(d, filter=lambda p, t: os.path.basename(p) != "file.txt"),
        ),
        (
            f'builtins.path {{ path = {d}/run.sh; name = "flat"; recursive = false; }}',
            source_store_path(f"{d}/run.sh", "flat", recursive=False),
        ),
        (
            f'builtins.path {{ path = {d}/sub/data.bin; recursive = false; }}',
            source_store_path(f"{d}/sub/data.bin", recursive=False),
        ),
    ]
    assert nix.eval_json("[ " + " ".join(f"({expr})" for expr, _ in cases) + " ]") == [p for _, p in cases]


@pytest.mark.nix
def test_source_path_of_a_fresh_copy_is_stable(nix: NixOracle, source_tree: Path, tmp_path: Path) -> None:
    """Only contents, modes and names count: a copy elsewhere under the same name hashes the same."""
    copy = tmp_path / "copy" / "tree"
    shutil.copytree(source_tree, copy, symlinks=True)
    assert source_store_path(str(copy)) == source_store_path(str(source_tree))
    assert nix.eval_json(f'"${{{copy}}}"') == source_store_path(str(source_tree))


@pytest.mark.nix
def test_missing_source_fails_like_nix(nix: NixOracle, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(EvalError) as raised:
        source_store_path(str(missing))
    assert f"error: {raised.value.message}\n" in nix.eval_error(f"builtins.path {{ path = {missing}; }}")
