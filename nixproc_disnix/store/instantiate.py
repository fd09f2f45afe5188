"""The store side of ``derivationStrict`` in Nix 2.8 (libexpr/primops.cc).

The evaluator walks the attribute set (coercing values to strings,
collecting string context into input derivations and sources); this module
turns that into the ``Derivation``, its output paths and its ``.drv`` path.
Input-addressed outputs are hashed first with empty output paths and empty
output env entries, then filled in.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.aterm import unparse_derivation
from nixproc_disnix.store.derivation import Derivation, DerivationOutput
from nixproc_disnix.store.hashing import HASH_SIZES, nix_bytes, parse_hash_allow_empty
from nixproc_disnix.store.modulo import DrvHashes, hash_derivation_modulo
from nixproc_disnix.store.paths import (
    DRV_EXTENSION,
    IngestionMethod,
    make_fixed_output_path,
    make_output_path,
    make_text_path,
    parse_store_path,
)


@dataclass(frozen=True)
class DerivationRequest:
    """What ``derivationStrict`` has collected, every value already a string.

    ``env`` holds every attribute but ``args`` (and ``__ignoreNulls``), or
    ``__json`` and friends under ``__structuredAttrs``; ``system`` and
    ``builder`` are empty when the attribute is missing. ``input_drvs`` maps
    ``.drv`` paths from ``!<output>!<drv>`` context to wanted outputs;
    ``input_srcs`` are plain store paths from context.
    """

    name: str
    system: str
    builder: str
    env: Mapping[str, str]
    args: Sequence[str] = ()
    outputs: Sequence[str] = ("out",)
    input_drvs: Mapping[str, Iterable[str]] = field(default_factory=dict)
    input_srcs: Iterable[str] = ()
    output_hash: str | None = None
    output_hash_algo: str = ""
    output_hash_mode: IngestionMethod | None = None


@dataclass(frozen=True)
class InstantiatedDerivation:
    """The result: what ``.drvPath`` and ``.<output>.outPath`` evaluate to, and the ``.drv`` text."""

    drv_path: str
    output_paths: Mapping[str, str]
    derivation: Derivation
    aterm: str
    warnings: tuple[str, ...] = ()


def check_output_names(names: Sequence[str]) -> list[str]:
    """Nix's checks on the ``outputs`` attribute, to run while walking the attributes."""
    seen: list[str] = []
    for name in names:
        if name in seen:
            raise EvalError(f"duplicate derivation output '{name}'")
        if name == "drv":
            raise EvalError("invalid derivation output name 'drv'")
        seen.append(name)
    if not seen:
        raise EvalError("derivation cannot have an empty set of outputs")
    return seen


def parse_output_hash_mode(mode: str) -> IngestionMethod:
    """Nix's reading of ``outputHashMode``."""
    if mode == "recursive":
        return "recursive"
    if mode == "flat":
        return "flat"
    raise EvalError(f"invalid value '{mode}' for 'outputHashMode' attribute")


def instantiate_derivation(request: DerivationRequest, drv_hashes: DrvHashes) -> InstantiatedDerivation:
    """Compute output paths, the ``.drv`` text and its path, and record its modulo hash in ``drv_hashes``."""
    store_dir = drv_hashes.store_dir
    input_srcs = frozenset(request.input_srcs)
    input_drvs = {path: frozenset(wanted) for path, wanted in request.input_drvs.items()}
    for path in [*input_srcs, *input_drvs]:
        parse_store_path(path, store_dir)
    if not request.builder:
        raise EvalError("required attribute 'builder' missing")
    if not request.system:
        raise EvalError("required attribute 'system' missing")
    if request.name.endswith(DRV_EXTENSION):
        raise EvalError(f"derivation names are not allowed to end in '{DRV_EXTENSION}'")

    env = dict(request.env)
    output_names = sorted(set(request.outputs), key=nix_bytes)
    warnings: tuple[str, ...] = ()
    if request.output_hash is not None:
        if output_names != ["out"]:
            raise EvalError("multiple outputs are not supported in fixed-output derivations")
        algo = request.output_hash_algo if request.output_hash_algo in HASH_SIZES else None
        hash, warning = parse_hash_allow_empty(request.output_hash, algo)
        warnings = (warning,) if warning else ()
        method = request.output_hash_mode or "flat"
        out_path = make_fixed_output_path(request.name, method, hash, store_dir=store_dir)
        env["out"] = out_path
        prefix = "r:" if method == "recursive" else ""
        outputs = {"out": DerivationOutput(out_path, prefix + hash.algo, hash.to_string("base16"))}
    else:
        for name in output_names:
            env[name] = ""
        masked = _derivation(request, {name: DerivationOutput() for name in output_names}, input_drvs, input_srcs, env)
        hashes = hash_derivation_modulo(masked, True, drv_hashes)
        outputs = {}
        for name in output_names:
            path = make_output_path(name, hashes[name], request.name, store_dir)
            env[name] = path
            outputs[name] = DerivationOutput(path)

    drv = _derivation(request, outputs, input_drvs, input_srcs, env)
    aterm = unparse_derivation(drv)
    drv_path = make_text_path(request.name + DRV_EXTENSION, aterm, [*input_srcs, *input_drvs], store_dir)
    drv_hashes.record(drv_path, hash_derivation_modulo(drv, False, drv_hashes))
    return InstantiatedDerivation(
        drv_path, {name: out.path for name, out in outputs.items()}, drv, aterm, warnings
    )


def _derivation(
    request: DerivationRequest,
    outputs: Mapping[str, DerivationOutput],
    input_drvs: Mapping[str, frozenset[str]],
    input_srcs: frozenset[str],
    env: Mapping[str, str],
) -> Derivation:
    return Derivation(
        request.name, dict(outputs), dict(input_drvs), input_srcs, request.system, request.builder,
        tuple(request.args), dict(env),
    )
