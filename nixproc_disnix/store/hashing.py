"""Hashes as Nix 2.8 prints and parses them (libutil/hash.cc).

Nix has its own base-32 (alphabet without e, o, u, t, read from the last
byte backwards), a lenient base-64 decoder, and a ``parseAny`` that guesses
the encoding from the length. Store paths, ``.drv`` files, ``hashString``
and ``outputHash`` all depend on these being bit-exact.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Literal

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.syserror import sys_error

HASH_SIZES: dict[str, int] = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}
"""Digest size in bytes of every algorithm Nix 2.8 knows."""

Base = Literal["base16", "base32", "base64", "sri"]

BASE32_CHARS = "0123456789abcdfghijklmnpqrsvwxyz"
_BASE32_DIGITS = {c: i for i, c in enumerate(BASE32_CHARS)}
_BASE64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_DIGITS = {c: i for i, c in enumerate(_BASE64_CHARS)}
_BASE16_CHARS = frozenset("0123456789abcdefABCDEF")


def nix_bytes(text: str | bytes) -> bytes:
    """The bytes Nix sees for a string; undecodable file-name bytes survive via surrogateescape."""
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")


def base32_len(size: int) -> int:
    """Characters in the Nix base-32 form of ``size`` bytes."""
    return (size * 8 - 1) // 5 + 1


def base32_encode(data: bytes) -> str:
    """Nix base-32: 5-bit groups taken from the end of ``data``, most significant character first."""
    chars = []
    for n in range(base32_len(len(data)) - 1, -1, -1):
        i, j = divmod(n * 5, 8)
        c = data[i] >> j
        if i < len(data) - 1:
            c |= data[i + 1] << (8 - j)
        chars.append(BASE32_CHARS[c & 0x1F])
    return "".join(chars)


def base32_decode(text: str, size: int) -> bytes:
    """Inverse of :func:`base32_encode`; rejects foreign characters and set padding bits like Nix."""
    if len(text) != base32_len(size):
        raise EvalError(f"hash '{text}' has wrong length for {size} bytes in base-32")
    out = bytearray(size)
    for n, c in enumerate(reversed(text)):
        digit = _BASE32_DIGITS.get(c)
        if digit is None:
            raise EvalError(f"invalid base-32 hash '{text}'")
        i, j = divmod(n * 5, 8)
        out[i] |= (digit << j) & 0xFF
        carry = digit >> (8 - j)
        if i < size - 1:
            out[i + 1] |= carry
        elif carry:
            raise EvalError(f"invalid base-32 hash '{text}'")
    return bytes(out)


def base64_encode(data: bytes) -> str:
    """Standard padded base-64, as Nix's ``base64Encode``."""
    return base64.b64encode(data).decode("ascii")


def base64_decode(text: str) -> bytes:
    """Nix's lenient decoder: stops at the first ``=``, skips newlines, drops leftover bits."""
    out = bytearray()
    acc = bits = 0
    for c in text:
        if c == "=":
            break
        if c == "\n":
            continue
        digit = _BASE64_DIGITS.get(c)
        if digit is None:
            # Nix 2.8's formatter drops the character itself from this message.
            raise EvalError("invalid character in Base64 string: ''")
        acc = (acc << 6 | digit) & 0xFFFF
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append(acc >> bits & 0xFF)
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Hash:
    """A digest together with its algorithm, the unit Nix prints and parses."""

    algo: str
    digest: bytes

    def to_string(self, base: Base, include_type: bool = False) -> str:
        """Nix's ``Hash::to_string``: SRI always carries ``algo-``, otherwise ``algo:`` on request."""
        prefix = f"{self.algo}-" if base == "sri" else f"{self.algo}:" if include_type else ""
        if base == "base16":
            body = self.digest.hex()
        elif base == "base32":
            body = base32_encode(self.digest)
        else:
            body = base64_encode(self.digest)
        return prefix + body


def hash_bytes(algo: str, data: str | bytes) -> Hash:
    """Hash a Nix string (``builtins.hashString``) or raw bytes."""
    return Hash(algo, hashlib.new(parse_hash_algo(algo), nix_bytes(data)).digest())


def hash_file(algo: str, path: str) -> Hash:
    """Hash a file's contents (``builtins.hashFile``, flat ``builtins.path``) without loading it whole."""
    h = hashlib.new(parse_hash_algo(algo))
    with sys_error("opening file", path):
        f = open(path, "rb")
    with f:
        while chunk := f.read(65536):
            h.update(chunk)
    return Hash(algo, h.digest())


def parse_hash_algo(name: str) -> str:
    """Validate an algorithm name with Nix's message."""
    if name not in HASH_SIZES:
        raise EvalError(f"unknown hash algorithm '{name}'")
    return name


def compress_hash(digest: bytes, size: int = 20) -> bytes:
    """XOR-fold ``digest`` into ``size`` bytes, as store path hash parts are made."""
    out = bytearray(size)
    for i, b in enumerate(digest):
        out[i % size] ^= b
    return bytes(out)


def parse_hash(text: str, algo: str | None = None) -> Hash:
    """Nix's ``Hash::parseAny``: optional ``algo:`` or SRI ``algo-`` prefix, encoding told by length.

    ``algo`` is the type known from context (e.g. ``outputHashAlgo``); when both
    the text and the context name one they must agree. ``algo`` must be a known
    algorithm or None (Nix's ``parseHashTypeOpt`` turns unknown names into None).
    """
    rest = text
    parsed_algo: str | None = None
    is_sri = False
    for sep in (":", "-"):
        head, found, tail = rest.partition(sep)
        if found:
            parsed_algo, rest, is_sri = parse_hash_algo(head), tail, sep == "-"
            break
    if parsed_algo is None:
        if algo is None:
            raise EvalError(f"hash '{rest}' does not include a type, nor is the type otherwise known from context")
        return _parse_hash_body(rest, parse_hash_algo(algo), is_sri)
    if algo is not None and parsed_algo != algo:
        raise EvalError(f"hash '{text}' should have type '{algo}'")
    return _parse_hash_body(rest, parsed_algo, is_sri)


def parse_hash_unprefixed(text: str, algo: str) -> Hash:
    """Nix's ``parseNonSRIUnprefixed``: base-16, base-32 or base-64 by length, no prefix allowed."""
    return _parse_hash_body(text, parse_hash_algo(algo), False)


def parse_hash_allow_empty(text: str, algo: str | None) -> tuple[Hash, str | None]:
    """Nix's ``newHashAllowEmpty`` for ``outputHash``: an empty hash is all zeros plus a warning.

    Returns the hash and the warning Nix prints, if any.
    """
    if text:
        return parse_hash(text, algo), None
    if algo is None:
        raise EvalError("empty hash requires explicit hash type")
    zero = Hash(algo, bytes(HASH_SIZES[algo]))
    return zero, f"found empty hash, assuming '{zero.to_string('sri')}'"


def _parse_hash_body(rest: str, algo: str, is_sri: bool) -> Hash:
    size = HASH_SIZES[algo]
    if not is_sri and len(rest) == size * 2:
        if not _BASE16_CHARS.issuperset(rest):
            raise EvalError(f"invalid base-16 hash '{rest}'")
        return Hash(algo, bytes.fromhex(rest))
    if not is_sri and len(rest) == base32_len(size):
        return Hash(algo, base32_decode(rest, size))
    if is_sri or len(rest) == ((4 * size // 3) + 3) & ~3:
        digest = base64_decode(rest)
        if len(digest) != size:
            raise EvalError(f"invalid {'SRI' if is_sri else 'base-64'} hash '{rest}'")
        return Hash(algo, digest)
    raise EvalError(f"hash '{rest}' has wrong length for hash type '{algo}'")
