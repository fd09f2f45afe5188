"""A store derivation (``.drv``) as plain data, the shape Nix 2.8 writes.

Kept free of evaluator types so the evaluator, the ATerm reader/writer and
the builder can share it. Paths are full store paths (``/nix/store/...``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DerivationOutput:
    """One ``(id, path, hashAlgo, hash)`` row of a ``.drv``'s outputs.

    Input-addressed outputs have only a ``path`` (empty while the derivation
    is being hashed); fixed-output ones also carry ``hash_algo`` (``r:sha256``
    for recursive, ``sha1`` for flat, ...) and the expected ``hash`` in base-16.
    """

    path: str = ""
    hash_algo: str = ""
    hash: str = ""

    @property
    def is_fixed(self) -> bool:
        """Whether this output's contents are known in advance (``outputHash``)."""
        return bool(self.hash_algo and self.hash)


@dataclass(frozen=True, slots=True)
class Derivation:
    """Everything a ``.drv`` file holds, plus its ``name`` (which the file name carries)."""

    name: str
    outputs: Mapping[str, DerivationOutput]
    input_drvs: Mapping[str, frozenset[str]]
    """Input ``.drv`` paths and which of their outputs are needed."""
    input_srcs: frozenset[str]
    platform: str
    builder: str
    args: tuple[str, ...]
    env: Mapping[str, str]

    @property
    def is_fixed_output(self) -> bool:
        """Fixed-output derivations hash by their promised output, not by their inputs."""
        return any(output.is_fixed for output in self.outputs.values())
