"""``hashDerivationModulo`` as Nix 2.8 computes it (libstore/derivations.cc).

An input-addressed output path hashes the derivation with every input
``.drv`` path replaced by that input's own modulo hash, so a change deep in
the graph changes every path above it, while a fixed-output input only
contributes its promised output (``fixed:out:...``), not how it is fetched.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.aterm import parse_derivation, unparse_derivation
from nixproc_disnix.store.derivation import Derivation
from nixproc_disnix.store.hashing import hash_bytes
from nixproc_disnix.store.paths import DEFAULT_STORE_DIR, DRV_EXTENSION, parse_store_path


def _read_text(path: str) -> str:
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


class DrvHashes:
    """Nix's ``drvHashes``: per-output modulo hashes of derivations, by ``.drv`` path.

    Derivations instantiated in this evaluation are recorded as they are made
    (required when nothing is written, as in ``--readonly-mode``); others are
    read with ``read_drv`` (default: the file at that path) and hashed once.
    """

    def __init__(self, store_dir: str = DEFAULT_STORE_DIR, read_drv: Callable[[str], str] = _read_text) -> None:
        self.store_dir = store_dir
        self._read_drv = read_drv
        self._hashes: dict[str, Mapping[str, bytes]] = {}

    def record(self, drv_path: str, hashes: Mapping[str, bytes]) -> None:
        """Remember the modulo hashes of a derivation just instantiated."""
        self._hashes[drv_path] = hashes

    def get(self, drv_path: str) -> Mapping[str, bytes]:
        """The modulo hash of each output of ``drv_path``, loading the ``.drv`` if unseen."""
        if drv_path not in self._hashes:
            _, base = parse_store_path(drv_path, self.store_dir)
            try:
                drv = parse_derivation(self._read_drv(drv_path), base.removesuffix(DRV_EXTENSION), self.store_dir)
            except EvalError as e:
                raise EvalError(f"error parsing derivation '{drv_path}': {e.message}") from e
            self._hashes[drv_path] = hash_derivation_modulo(drv, False, self)
        return self._hashes[drv_path]


def hash_derivation_modulo(drv: Derivation, mask_outputs: bool, drv_hashes: DrvHashes) -> dict[str, bytes]:
    """The sha256 per output that input-addressed output paths (and dependents) are made from.

    Fixed-output derivations hash ``fixed:out:<algo>:<hash>:<path>`` per output;
    all others hash their ATerm (outputs masked if ``mask_outputs``) with input
    derivations replaced by the base-16 hashes of the wanted outputs.
    """
    if drv.is_fixed_output:
        return {
            name: hash_bytes("sha256", f"fixed:out:{out.hash_algo}:{out.hash}:{out.path}").digest
            for name, out in drv.outputs.items()
        }
    input_hashes: dict[str, set[str]] = defaultdict(set)
    for drv_path, wanted in drv.input_drvs.items():
        hashes = drv_hashes.get(drv_path)
        for output in wanted:
            if output not in hashes:
                raise EvalError(f"derivation '{drv_path}' does not have wanted output '{output}'")
            input_hashes[hashes[output].hex()].add(output)
    digest = hash_bytes("sha256", unparse_derivation(drv, mask_outputs, input_hashes)).digest
    return {name: digest for name in drv.outputs}
