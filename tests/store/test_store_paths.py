from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.hashing import Hash, hash_bytes
from nixproc_disnix.store.paths import (
    check_store_path_name,
    make_fixed_output_path,
    make_output_path,
    make_store_path,
    make_text_path,
    parse_store_path,
)
from nixproc_disnix.store.source import source_store_path
from store_oracle import NixOracle, nix_string
from store_requests import nix_chars

NAME_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-._?="
store_names = st.text(NAME_CHARS, min_size=1, max_size=211)
file_texts = st.text(nix_chars, max_size=300)


def to_file(name: str, text: str) -> str:
    return f"(builtins.toFile {nix_string(name)} {nix_string(text)})"


def test_known_text_path() -> None:
    assert make_text_path("x", "y") == "/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x"


def test_digest_may_be_given_as_bytes_or_base16() -> None:
    digest = hash_bytes("sha256", "z").digest
    assert make_store_path("text", digest, "n") == make_store_path("text", digest.hex(), "n")


def test_output_names_other_than_out_are_suffixed() -> None:
    digest = bytes(32)
    assert make_output_path("out", digest, "pkg").endswith("-pkg")
    assert make_output_path("dev", digest, "pkg").endswith("-pkg-dev")


def test_name_rules_of_nix_2_8() -> None:
    check_store_path_name("h-.hidden", ".hidden")
    check_store_path_name("h-" + "a" * 211, "a" * 211)
    for name, fact in [("", "has an empty name"), ("a" * 212, "longer than 211"), ("a b", "illegal character ' '")]:
        with pytest.raises(EvalError, match=fact):
            check_store_path_name("h-" + name, name)


def test_only_recursive_sha256_paths_take_references() -> None:
    with pytest.raises(ValueError):
        make_fixed_output_path("x", "flat", hash_bytes("sha256", ""), [make_text_path("a", "")])


def test_parse_store_path() -> None:
    path = make_text_path("x", "y")
    assert parse_store_path(path + "/") == ("lfngsssysp6h1v4ccqg23c52s9sjl779", "x")
    for bad, fact in [
        ("/tmp/x", "is not in the Nix store"),
        ("/nix/store/abc", "too short"),
        ("/nix/store/" + "e" * 32 + "-x", "illegal base-32 character 'e'"),
        ("nix/store/x", "not an absolute path"),
    ]:
        with pytest.raises(EvalError, match=fact):
            parse_store_path(bad)


@pytest.mark.nix
@settings(max_examples=5, deadline=None)
@given(st.lists(st.tuples(store_names, file_texts), min_size=1, max_size=25))
def test_to_file_matches_nix(nix: NixOracle, files: list[tuple[str, str]]) -> None:
    expr = "[ " + " ".join(to_file(name, text) for name, text in files) + " ]"
    assert nix.eval_json(expr) == [make_text_path(name, text) for name, text in files]


@pytest.mark.nix
@settings(max_examples=5, deadline=None)
@given(st.lists(st.tuples(store_names, file_texts), min_size=1, max_size=6), st.data())
def test_to_file_references_from_string_context(nix: NixOracle, bases: list[tuple[str, str]], data: st.DataObject) -> None:
    base_paths = [make_text_path(name, text) for name, text in bases]
    order = data.draw(st.permutations(range(len(bases))))
    separator = data.draw(file_texts)
    expr_text = " + ".join(f"{nix_string(separator)} + {to_file(*bases[i])}" for i in order)
    expr = f"[ {' '.join(to_file(*b) for b in bases)} (builtins.toFile \"refs\" ({expr_text})) ]"
    text = "".join(separator + base_paths[i] for i in order)
    assert nix.eval_json(expr) == [*base_paths, make_text_path("refs", text, base_paths)]


@pytest.mark.nix
def test_to_file_referencing_a_source_path(nix: NixOracle, source_tree: Path) -> None:
    source = source_store_path(str(source_tree))
    expected = make_text_path("uses-src", f"cp -r {source} $out", [source])
    assert nix.eval_json(f'builtins.toFile "uses-src" "cp -r ${{{source_tree}}} $out"') == expected


@pytest.mark.nix
@pytest.mark.parametrize("name", ["a b", "", "a" * 212, "caf\u00e9", "x/y"])
def test_invalid_names_fail_like_nix(nix: NixOracle, name: str) -> None:
    with pytest.raises(EvalError) as raised:
        make_text_path(name, "y")
    ours = raised.value.message
    stderr = nix.eval_error(to_file(name, "y"))
    if name == "caf\u00e9":  # Nix names the first byte of the UTF-8 sequence, we the character
        ours = ours.removesuffix("'\u00e9'")
    assert f"error: {ours}" in stderr


@pytest.mark.nix
def test_store_dir_is_configurable(nix: NixOracle, tmp_path: Path, source_tree: Path) -> None:
    store_dir = str(tmp_path / "other" / "store")
    a = make_text_path("a", "x", store_dir=store_dir)
    b = make_text_path("b", f"see {a}", [a], store_dir)
    src = source_store_path(str(source_tree), "src", store_dir=store_dir)
    fixed = make_fixed_output_path("f", "flat", Hash("sha1", bytes(20)), store_dir=store_dir)
    expr = f"""let a = builtins.toFile "a" "x"; in [
      a (builtins.toFile "b" "see ${{a}}") (builtins.path {{ path = {source_tree}; name = "src"; }})
      (derivation {{ name = "f"; system = "s"; builder = "b"; outputHash = "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="; }}).outPath
    ]"""
    assert nix.eval_json(expr, store_dir=store_dir) == [a, b, src, fixed]
    assert a != make_text_path("a", "x")
