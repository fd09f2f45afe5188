from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.aterm import parse_derivation, unparse_derivation
from nixproc_disnix.store.derivation import Derivation, DerivationOutput
from nixproc_disnix.store.hashing import hash_bytes
from nixproc_disnix.store.instantiate import instantiate_derivation
from nixproc_disnix.store.modulo import DrvHashes
from nixproc_disnix.store.paths import make_text_path
from store_requests import Attrs, derivation_attrs, request_from_attrs

SRC = make_text_path("src", "")
OUT = make_text_path("out", "")
DRV = make_text_path("dep.drv", "")


def small(**changes: object) -> Derivation:
    fields: dict[str, object] = {
        "name": "x",
        "outputs": {"out": DerivationOutput(OUT)},
        "input_drvs": {DRV: frozenset({"out", "dev"})},
        "input_srcs": frozenset({SRC}),
        "platform": "x86_64-linux",
        "builder": "/bin/sh",
        "args": ("-c", "echo"),
        "env": {"out": OUT, "b": "2", "a": "1"},
    }
    return Derivation(**{**fields, **changes})  # type: ignore[arg-type]


def test_layout_and_sorting() -> None:
    assert unparse_derivation(small()) == (
        f'Derive([("out","{OUT}","","")],[("{DRV}",["dev","out"])],["{SRC}"],"x86_64-linux","/bin/sh",'
        f'["-c","echo"],[("a","1"),("b","2"),("out","{OUT}")])'
    )


def test_escapes_only_quote_backslash_and_three_controls() -> None:
    drv = small(builder='q"b\\n\nr\rt\t\x01\u00e9', args=(), env={})
    assert ',"q\\"b\\\\n\\nr\\rt\\t\x01\u00e9",[],[])' in unparse_derivation(drv)


def test_masking_and_input_hashes_for_hash_modulo() -> None:
    text = unparse_derivation(small(), mask_outputs=True, input_hashes={"ab12": ["out"]})
    assert text.startswith('Derive([("out","","","")],[("ab12",["out"])],')
    assert '("out","")' in text and '("a","1")' in text


@given(derivation_attrs())
def test_instantiated_derivations_round_trip(attrs: Attrs) -> None:
    inst = instantiate_derivation(request_from_attrs(attrs), DrvHashes())
    assert parse_derivation(inst.aterm, inst.derivation.name) == inst.derivation


@given(st.sampled_from(["md5", "sha1", "sha256", "sha512"]), st.sampled_from(["flat", "recursive"]))
def test_fixed_outputs_round_trip(algo: str, mode: str) -> None:
    attrs: Attrs = {"name": "f", "system": "s", "builder": "b", "outputHashMode": mode,
                    "outputHash": hash_bytes(algo, "x").to_string("sri")}
    inst = instantiate_derivation(request_from_attrs(attrs), DrvHashes())
    assert parse_derivation(inst.aterm, "f") == inst.derivation


def test_parse_normalises_fixed_hashes_to_base16() -> None:
    h = hash_bytes("sha256", "x")
    text = unparse_derivation(small(outputs={"out": DerivationOutput(OUT, "r:sha256", h.to_string("base32"))}))
    assert parse_derivation(text, "x").outputs["out"].hash == h.to_string("base16")


@pytest.mark.parametrize(
    "text, message",
    [
        ("Derivation(", "expected string 'Derive(['"),
        ('Derive([("out","relative","","")],', "bad path 'relative' in derivation"),
        ('Derive([("out","","r:sha256","")],', "experimental Nix feature 'ca-derivations' is disabled"),
        ('Derive([("out","","sha256","impure")],', "experimental Nix feature 'impure-derivations' is disabled"),
        ('Derive([("out","/nix/store/x","sha3","00")],', "unknown hash algorithm 'sha3'"),
        ('Derive([("out","","","")],[],["/tmp/x"]', "path '/tmp/x' is not in the Nix store"),
        ('Derive([("out","","","")],[],[],"s', "expected string '\"'"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(EvalError) as raised:
        parse_derivation(text, "x")
    assert raised.value.message.startswith(message)
