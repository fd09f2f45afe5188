from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.hashing import (
    HASH_SIZES,
    Hash,
    base32_decode,
    base32_encode,
    base32_len,
    base64_decode,
    compress_hash,
    hash_bytes,
    parse_hash,
    parse_hash_allow_empty,
    parse_hash_unprefixed,
)
from store_oracle import NixOracle, nix_string
from store_requests import nix_chars

NIX_HASH = ["nix", "--extra-experimental-features", "nix-command", "hash"]
ALGOS = sorted(HASH_SIZES)
nix_text = st.text(nix_chars, max_size=200)
digest_batches = st.lists(st.binary(min_size=64, max_size=64), min_size=1, max_size=25)


def test_empty_sha256_in_base32_is_the_well_known_value() -> None:
    assert hash_bytes("sha256", "").to_string("base32") == "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"


@pytest.mark.parametrize("algo", ALGOS)
def test_base32_length_per_algorithm(algo: str) -> None:
    size = HASH_SIZES[algo]
    assert len(base32_encode(bytes(size))) == base32_len(size) == {16: 26, 20: 32, 32: 52, 64: 103}[size]


@given(st.sampled_from(ALGOS), st.binary(min_size=64, max_size=64))
def test_every_encoding_parses_back(algo: str, raw: bytes) -> None:
    h = Hash(algo, raw[: HASH_SIZES[algo]])
    assert base32_decode(base32_encode(h.digest), len(h.digest)) == h.digest
    for base in ("base16", "base32", "base64"):
        assert parse_hash(h.to_string(base), algo) == h
        assert parse_hash(h.to_string(base, include_type=True)) == h
    assert parse_hash(h.to_string("sri")) == h
    assert parse_hash(h.to_string("base16").upper(), algo) == h


def test_base32_rejects_letters_outside_the_alphabet_and_set_padding_bits() -> None:
    for bad in ("e" + "0" * 51, "2" + "0" * 51):
        with pytest.raises(EvalError, match=f"invalid base-32 hash '{bad}'"):
            parse_hash(bad, "sha256")


def test_base64_decoding_is_lenient_like_nix() -> None:
    assert base64_decode("AAAA\nAA") == bytes(4)
    assert base64_decode("AAA=garbage") == bytes(2)
    with pytest.raises(EvalError, match="invalid character in Base64 string"):
        base64_decode("AA!A")


def test_parse_errors_carry_nix_messages() -> None:
    cases = {
        ("abc", "sha256"): "hash 'abc' has wrong length for hash type 'sha256'",
        ("md5:abc", "sha256"): "hash 'md5:abc' should have type 'sha256'",
        ("abc", None): "hash 'abc' does not include a type, nor is the type otherwise known from context",
        ("foo:abc", None): "unknown hash algorithm 'foo'",
        ("sha256-AAAA", None): "invalid SRI hash 'AAAA'",
        ("g" + "0" * 63, "sha256"): "invalid base-16 hash 'g" + "0" * 63 + "'",
    }
    for (text, algo), message in cases.items():
        with pytest.raises(EvalError) as raised:
            parse_hash(text, algo)
        assert raised.value.message == message


def test_unprefixed_parsing_refuses_prefixes() -> None:
    with pytest.raises(EvalError, match="wrong length"):
        parse_hash_unprefixed("sha256:" + "0" * 64, "sha256")


def test_empty_output_hash_is_zero_with_a_warning() -> None:
    h, warning = parse_hash_allow_empty("", "sha1")
    assert h == Hash("sha1", bytes(20))
    assert warning == "found empty hash, assuming 'sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA='"
    with pytest.raises(EvalError, match="empty hash requires explicit hash type"):
        parse_hash_allow_empty("", None)


def test_compress_hash_xor_folds() -> None:
    digest = bytes(range(32))
    expected = bytes(digest[i] ^ (digest[i + 20] if i + 20 < 32 else 0) for i in range(20))
    assert compress_hash(digest, 20) == expected


@given(nix_text)
def test_hash_bytes_is_hashlib_over_utf8(text: str) -> None:
    assert hash_bytes("sha512", text).digest == hashlib.sha512(text.encode()).digest()


@pytest.mark.nix
@settings(max_examples=5, deadline=None)
@given(digest_batches)
def test_base32_matches_nix_hash(nix: NixOracle, raws: list[bytes]) -> None:
    for algo in ALGOS:
        hashes = [Hash(algo, raw[: HASH_SIZES[algo]]) for raw in raws]
        out = nix.run(["nix-hash", "--type", algo, "--to-base32", *(h.to_string("base16") for h in hashes)])
        assert out.decode().split() == [h.to_string("base32") for h in hashes]


@pytest.mark.nix
@settings(max_examples=5, deadline=None)
@given(digest_batches)
def test_sri_base64_and_base16_match_nix_hash_conversions(nix: NixOracle, raws: list[bytes]) -> None:
    for algo in ALGOS:
        hashes = [Hash(algo, raw[: HASH_SIZES[algo]]) for raw in raws]
        base32s = [h.to_string("base32") for h in hashes]
        sri = nix.run([*NIX_HASH, "to-sri", "--type", algo, *base32s]).decode().split()
        assert sri == [h.to_string("sri") for h in hashes]
        b64 = nix.run([*NIX_HASH, "to-base64", "--type", algo, *base32s]).decode().split()
        assert b64 == [h.to_string("base64") for h in hashes]
        b16 = nix.run([*NIX_HASH, "to-base16", *sri]).decode().split()
        assert b16 == [h.to_string("base16") for h in hashes]


@pytest.mark.nix
@settings(max_examples=5, deadline=None)
@given(st.lists(nix_text, min_size=1, max_size=20))
def test_hash_string_matches_builtins_hash_string(nix: NixOracle, texts: list[str]) -> None:
    cases = [(algo, text) for text in texts for algo in ALGOS]
    expr = "[ " + " ".join(f"(builtins.hashString {nix_string(a)} {nix_string(t)})" for a, t in cases) + " ]"
    assert nix.eval_json(expr) == [hash_bytes(a, t).to_string("base16") for a, t in cases]


@pytest.mark.nix
@pytest.mark.parametrize(
    "args",
    [
        ["--type", "sha256", "z" + "0" * 51],
        ["--type", "sha256", "e" + "0" * 51],
        ["--type", "sha256", "abc"],
        ["--type", "sha256", "md5:abc"],
        ["abc"],
        ["sha256-AAAA"],
        ["--type", "sha256", "g" + "0" * 63],
        ["--type", "sha256", "A" * 42 + "!="],
        ["--type", "sha1", "sha1-" + "A" * 40],
    ],
)
def test_parse_errors_match_nix(nix: NixOracle, args: list[str]) -> None:
    algo = args[1] if args[0] == "--type" else None
    with pytest.raises(EvalError) as raised:
        parse_hash(args[-1], algo)
    assert f"error: {raised.value.message}\n" in nix.fail([*NIX_HASH, "to-base16", *args])


@pytest.mark.nix
def test_lenient_parses_match_nix(nix: NixOracle) -> None:
    texts = ["sha256-" + "A" * 43, "sha256:1" + "0" * 51, "sha512:" + "0" * 128, "md5-" + "A" * 22 + "=="]
    out = nix.run([*NIX_HASH, "to-base16", *texts]).decode().split()
    assert out == [parse_hash(t).to_string("base16") for t in texts]
