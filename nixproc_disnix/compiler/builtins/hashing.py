"""``hashString`` and ``hashFile``: base-16 digests with Nix 2.8's algorithm names."""
from __future__ import annotations

from ...errors import EvalError
from ...store.hashing import HASH_SIZES, hash_bytes, hash_file
from . import primop


def _algo(ev, pos, v) -> str:
    name = ev.force_string_no_context(v, pos)
    if name not in HASH_SIZES:
        raise EvalError(f"unknown hash algorithm '{name}'")
    return name


@primop("hashString", 2)
def _hash_string(ev, pos, algo, s):
    algo = _algo(ev, pos, algo)
    text = str(ev.force_string(s, pos))
    return hash_bytes(algo, text.encode("latin-1")).digest.hex()


@primop("hashFile", 2)
def _hash_file(ev, pos, algo, path):
    algo = _algo(ev, pos, algo)
    p = ev.coerce_to_path(path, pos, set())
    try:
        return hash_file(algo, p).digest.hex()
    except EvalError as e:
        raise EvalError(e.message, pos) from None
