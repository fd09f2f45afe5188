from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.aterm import parse_derivation
from nixproc_disnix.store.hashing import HASH_SIZES, Base, Hash, hash_bytes
from nixproc_disnix.store.instantiate import (
    DerivationRequest,
    InstantiatedDerivation,
    check_output_names,
    instantiate_derivation,
    parse_output_hash_mode,
)
from nixproc_disnix.store.modulo import DrvHashes
from nixproc_disnix.store.paths import make_text_path
from nixproc_disnix.store.source import source_store_path
from store_oracle import NixOracle, nix_attrs, nix_string
from store_requests import Attrs, derivation_attrs, request_from_attrs

SYSTEM = "x86_64-linux"


def outputs_of(attrs: Attrs) -> list[str]:
    outputs = attrs.get("outputs", ["out"])
    assert isinstance(outputs, list)
    return outputs


def paths_expr(drv_expr: str, outputs: list[str]) -> str:
    """``[drvPath, <output>.outPath...]`` of a derivation expression."""
    return f"(let d = {drv_expr}; in [ d.drvPath {' '.join(f'd.{nix_string(o)}.outPath' for o in outputs)} ])"


def paths_of(inst: InstantiatedDerivation, outputs: list[str]) -> list[str]:
    return [inst.drv_path, *(inst.output_paths[o] for o in outputs)]


def read_store_file(root: Path, path: str) -> str:
    return (root / path.lstrip("/")).read_bytes().decode("utf-8", "surrogateescape")


def test_fixed_output_env_and_outputs() -> None:
    digest = hash_bytes("sha256", "contents")
    inst = instantiate_derivation(
        request_from_attrs({"name": "f", "system": SYSTEM, "builder": "b", "outputHash": digest.to_string("sri"),
                            "outputHashMode": "recursive"}),
        DrvHashes(),
    )
    out = inst.derivation.outputs["out"]
    assert (out.hash_algo, out.hash) == ("r:sha256", digest.to_string("base16"))
    assert inst.derivation.env["out"] == out.path == inst.output_paths["out"]


def test_derivationstrict_checks() -> None:
    base: Attrs = {"name": "x", "system": SYSTEM, "builder": "b"}
    cases: list[tuple[Attrs, str]] = [
        ({**base, "builder": ""}, "required attribute 'builder' missing"),
        ({**base, "system": ""}, "required attribute 'system' missing"),
        ({**base, "name": "x.drv"}, "derivation names are not allowed to end in '.drv'"),
        ({**base, "outputHash": "", "outputs": ["out", "dev"]}, "multiple outputs are not supported"),
    ]
    for attrs, message in cases:
        with pytest.raises(EvalError, match=message):
            instantiate_derivation(request_from_attrs(attrs), DrvHashes())
    for names, message in [(["out", "out"], "duplicate derivation output 'out'"), (["drv"], "'drv'"), ([], "empty set")]:
        with pytest.raises(EvalError, match=message):
            check_output_names(names)
    with pytest.raises(EvalError, match="invalid value 'deep' for 'outputHashMode' attribute"):
        parse_output_hash_mode("deep")


def test_input_paths_must_be_store_paths() -> None:
    request = DerivationRequest(name="x", system=SYSTEM, builder="b", env={}, input_srcs=["/tmp/src"])
    with pytest.raises(EvalError, match="path '/tmp/src' is not in the Nix store"):
        instantiate_derivation(request, DrvHashes())


@pytest.mark.nix
@settings(max_examples=5, deadline=None)
@given(st.lists(derivation_attrs(), min_size=1, max_size=8))
def test_random_derivations_match_nix(nix: NixOracle, cases: list[Attrs]) -> None:
    drv_hashes = DrvHashes()
    ours = [instantiate_derivation(request_from_attrs(attrs), drv_hashes) for attrs in cases]
    expr = "[ " + " ".join(paths_expr(f"derivation {nix_attrs(a)}", outputs_of(a)) for a in cases) + " ]"
    assert nix.eval_json(expr) == [paths_of(inst, outputs_of(a)) for inst, a in zip(ours, cases)]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        drv_paths = nix.instantiate("[ " + " ".join(f"(derivation {nix_attrs(a)})" for a in cases) + " ]", root)
        assert drv_paths == [inst.drv_path for inst in ours]
        for inst in ours:
            assert read_store_file(root, inst.drv_path) == inst.aterm


@pytest.mark.nix
def test_platform_is_written_unescaped(nix: NixOracle) -> None:
    attrs: Attrs = {"name": "q", "system": 'a"b\\c', "builder": 'a"b\\c'}
    inst = instantiate_derivation(request_from_attrs(attrs), DrvHashes())
    assert ',"a"b\\c","a\\"b\\\\c",' in inst.aterm
    assert nix.eval_json(paths_expr(f"derivation {nix_attrs(attrs)}", ["out"])) == paths_of(inst, ["out"])


BASES: list[Base] = ["base16", "base32", "base64", "sri"]
FIXED_CASES = [(algo, mode, base) for algo in sorted(HASH_SIZES) for mode in ("flat", "recursive") for base in BASES]


@pytest.mark.nix
def test_fixed_output_derivations_match_nix(nix: NixOracle) -> None:
    drv_hashes = DrvHashes()
    exprs, expected = [], []
    for algo, mode, base in FIXED_CASES:
        h = hash_bytes(algo, f"{algo}{mode}{base}")
        attrs: Attrs = {"name": f"fixed-{algo}-{mode}-{base}", "system": SYSTEM, "builder": "/bin/sh",
                        "outputHash": h.to_string(base), "outputHashMode": mode}
        if base != "sri":
            attrs["outputHashAlgo"] = algo
        exprs.append(paths_expr(f"derivation {nix_attrs(attrs)}", ["out"]))
        expected.append(paths_of(instantiate_derivation(request_from_attrs(attrs), drv_hashes), ["out"]))
    empty: Attrs = {"name": "empty", "system": SYSTEM, "builder": "/bin/sh", "outputHash": "", "outputHashAlgo": "sha512"}
    inst = instantiate_derivation(request_from_attrs(empty), drv_hashes)
    assert inst.warnings == (f"found empty hash, assuming '{Hash('sha512', bytes(64)).to_string('sri')}'",)
    exprs.append(paths_expr(f"derivation {nix_attrs(empty)}", ["out"]))
    expected.append(paths_of(inst, ["out"]))
    assert nix.eval_json("[ " + " ".join(exprs) + " ]") == expected


def graph_expr(tree: Path) -> str:
    """A small package graph: sources, two fixed-output fetches, a multi-output library, an app."""
    return f"""
      let
        system = "{SYSTEM}";
        script = builtins.toFile "builder.sh" "echo hi > $out";
        tree = builtins.path {{ path = {tree}; name = "tree"; }};
        fetch = derivation {{ name = "fetch"; inherit system; builder = "/bin/sh";
          outputHash = "{hash_bytes("sha256", "fetched").to_string("base32")}";
          outputHashAlgo = "sha256"; outputHashMode = "recursive"; }};
        fetch2 = derivation {{ name = "fetch2"; inherit system; builder = "/bin/sh";
          outputHash = "{hash_bytes("sha1", "fetched").to_string("sri")}"; }};
        lib = derivation {{ name = "lib"; inherit system; builder = "/bin/sh"; args = [ "-e" script ];
          outputs = [ "out" "dev" "doc" ]; SRC = tree; FETCHED = fetch; }};
        app = derivation {{ name = "app"; inherit system; builder = "${{lib}}/bin/sh";
          LIB_DEV = lib.dev; LIBS = "${{lib.doc}} ${{fetch2}}"; outputs = [ "bin" "out" ]; }};
      in [ fetch fetch2 lib app ]"""


ALL_PATHS = 'map (d: [ d.drvPath ] ++ map (o: d.${o}.outPath) (builtins.sort builtins.lessThan (d.outputs or [ "out" ])))'
"""Nix function from derivations to their ``.drv`` path and output paths (outputs sorted, as ours are)."""


def graph_ours(tree: Path, drv_hashes: DrvHashes) -> list[InstantiatedDerivation]:
    script = make_text_path("builder.sh", "echo hi > $out", store_dir=drv_hashes.store_dir)
    src = source_store_path(str(tree), "tree", store_dir=drv_hashes.store_dir)
    base: Attrs = {"system": SYSTEM, "builder": "/bin/sh"}
    fetch = instantiate_derivation(request_from_attrs({
        **base, "name": "fetch", "outputHash": hash_bytes("sha256", "fetched").to_string("base32"),
        "outputHashAlgo": "sha256", "outputHashMode": "recursive"}), drv_hashes)
    fetch2 = instantiate_derivation(request_from_attrs({
        **base, "name": "fetch2", "outputHash": hash_bytes("sha1", "fetched").to_string("sri")}), drv_hashes)
    lib = instantiate_derivation(request_from_attrs(
        {**base, "name": "lib", "args": ["-e", script], "outputs": ["out", "dev", "doc"], "SRC": src,
         "FETCHED": fetch.output_paths["out"]},
        input_drvs={fetch.drv_path: ["out"]}, input_srcs=[script, src]), drv_hashes)
    app = instantiate_derivation(request_from_attrs(
        {**base, "name": "app", "builder": lib.output_paths["out"] + "/bin/sh", "LIB_DEV": lib.output_paths["dev"],
         "LIBS": f"{lib.output_paths['doc']} {fetch2.output_paths['out']}", "outputs": ["bin", "out"]},
        input_drvs={lib.drv_path: ["out", "dev", "doc"], fetch2.drv_path: ["out"]}), drv_hashes)
    return [fetch, fetch2, lib, app]


@pytest.mark.nix
def test_dependency_graph_matches_nix(nix: NixOracle, source_tree: Path, tmp_path: Path) -> None:
    ours = graph_ours(source_tree, DrvHashes())
    expr = f"{ALL_PATHS} ({graph_expr(source_tree)})"
    assert nix.eval_json(expr) == [[d.drv_path, *d.output_paths.values()] for d in ours]
    root = tmp_path / "root"
    assert nix.instantiate(graph_expr(source_tree), root) == [d.drv_path for d in ours]
    for d in ours:
        text = read_store_file(root, d.drv_path)
        assert text == d.aterm
        assert parse_derivation(text, d.derivation.name) == d.derivation


@pytest.mark.nix
def test_input_derivations_are_read_from_disk_when_unseen(nix: NixOracle, source_tree: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    nix.instantiate(graph_expr(source_tree), root)
    *_, lib, app = graph_ours(source_tree, DrvHashes())
    cold = DrvHashes(read_drv=lambda path: read_store_file(root, path))
    request = request_from_attrs(
        dict(app.derivation.env) | {"outputs": ["bin", "out"]},
        input_drvs={k: sorted(v) for k, v in app.derivation.input_drvs.items()},
    )
    assert instantiate_derivation(request, cold).drv_path == app.drv_path


@pytest.mark.nix
def test_store_dir_flows_into_derivations(nix: NixOracle, tmp_path: Path, source_tree: Path) -> None:
    store_dir = str(tmp_path / "elsewhere" / "store")
    ours = graph_ours(source_tree, DrvHashes(store_dir))
    expr = f"{ALL_PATHS} ({graph_expr(source_tree)})"
    assert nix.eval_json(expr, store_dir=store_dir) == [[d.drv_path, *d.output_paths.values()] for d in ours]
    assert all(d.drv_path.startswith(store_dir + "/") for d in ours)


@pytest.mark.nix
@pytest.mark.parametrize(
    "attrs",
    [
        {"name": "x", "system": SYSTEM},
        {"name": "x", "builder": "/bin/sh"},
        {"name": "x.drv", "system": SYSTEM, "builder": "/bin/sh"},
        {"name": "x y", "system": SYSTEM, "builder": "/bin/sh", "outputs": ["out", "dev"]},
        {"name": "x y", "system": SYSTEM, "builder": "/bin/sh", "outputHash": "", "outputHashAlgo": "md5"},
        {"name": "x" * 208, "system": SYSTEM, "builder": "/bin/sh", "outputs": ["dev"]},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputHash": "", "outputs": ["out", "dev"]},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputHash": "abc", "outputHashAlgo": "sha256"},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputHash": "md5:" + "0" * 32, "outputHashAlgo": "sha1"},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputHash": "0" * 64, "outputHashAlgo": "sha3"},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputHash": ""},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputs": ["out", "out"]},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputs": ["drv"]},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputs": []},
        {"name": "x", "system": SYSTEM, "builder": "/bin/sh", "outputHash": "", "outputHashMode": "deep"},
    ],
)
def test_errors_match_nix(nix: NixOracle, attrs: Attrs) -> None:
    with pytest.raises(EvalError) as raised:
        instantiate_derivation(request_from_attrs(attrs), DrvHashes())
    assert f"error: {raised.value.message}\n" in nix.eval_error(f"(builtins.derivationStrict {nix_attrs(attrs)}).drvPath")
