"""The ATerm text of ``.drv`` files, byte for byte as Nix 2.8 (libstore/derivations.cc).

``Derive([outputs],[inputDrvs],[inputSrcs],platform,builder,[args],[env])``.
Output names, paths, the platform and hashes are written unescaped; the
builder, arguments and environment are escaped. Maps and sets are sorted
byte-wise. The same text with masked outputs and input derivations replaced
by their hashes is what ``hashDerivationModulo`` hashes, so the writer takes
those variations as parameters.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from nixproc_disnix.errors import EvalError
from nixproc_disnix.store.derivation import Derivation, DerivationOutput
from nixproc_disnix.store.hashing import nix_bytes, parse_hash_algo, parse_hash_unprefixed
from nixproc_disnix.store.paths import DEFAULT_STORE_DIR, parse_store_path

_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
V = TypeVar("V")


def unparse_derivation(
    drv: Derivation,
    mask_outputs: bool = False,
    input_hashes: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """Nix's ``Derivation::unparse``.

    ``mask_outputs`` blanks output paths and the env entries named after
    outputs; ``input_hashes`` (base-16 hash -> output names) replaces the
    input derivations, as ``hashDerivationModulo`` needs.
    """
    outputs = ",".join(
        f'("{name}","{"" if mask_outputs else out.path}","{out.hash_algo}","{out.hash}")'
        for name, out in _sorted_items(drv.outputs)
    )
    inputs = input_hashes if input_hashes is not None else drv.input_drvs
    input_drvs = ",".join(f'("{path}",{_unquoted_list(wanted)})' for path, wanted in _sorted_items(inputs))
    env = ",".join(
        f"({_quoted(key)},{_quoted('' if mask_outputs and key in drv.outputs else value)})"
        for key, value in _sorted_items(drv.env)
    )
    args = ",".join(_quoted(arg) for arg in drv.args)
    return (
        f"Derive([{outputs}],[{input_drvs}],{_unquoted_list(drv.input_srcs)},"
        f'"{drv.platform}",{_quoted(drv.builder)},[{args}],[{env}])'
    )


def parse_derivation(text: str, name: str, store_dir: str = DEFAULT_STORE_DIR) -> Derivation:
    """Nix's ``parseDerivation``: read a ``.drv`` back (``name`` comes from its file name)."""
    return _Reader(text, store_dir).derivation(name)


def _quoted(s: str) -> str:
    # Chained replaces run in C over the whole string; translate looks up every character.
    escaped = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def _unquoted_list(items: Iterable[str]) -> str:
    return "[" + ",".join(f'"{item}"' for item in sorted(items, key=nix_bytes)) + "]"


def _sorted_items(mapping: Mapping[str, V]) -> list[tuple[str, V]]:
    return sorted(mapping.items(), key=lambda item: nix_bytes(item[0]))


class _Reader:
    """A cursor over the ATerm text, mirroring Nix's stream-based parser and its messages."""

    def __init__(self, text: str, store_dir: str) -> None:
        self.text = text
        self.pos = 0
        self.store_dir = store_dir

    def derivation(self, name: str) -> Derivation:
        self.expect("Derive([")
        outputs: dict[str, DerivationOutput] = {}
        while not self.end_of_list():
            self.expect("(")
            output_name = self.string()
            outputs[output_name] = self.output()
        self.expect(",[")
        input_drvs: dict[str, frozenset[str]] = {}
        while not self.end_of_list():
            self.expect("(")
            drv_path = self.store_path()
            self.expect(",[")
            input_drvs[drv_path] = frozenset(self.strings())
            self.expect(")")
        self.expect(",[")
        input_srcs = frozenset(self.store_path(s) for s in self.strings())
        self.expect(",")
        platform = self.string()
        self.expect(",")
        builder = self.string()
        self.expect(",[")
        args = tuple(self.strings())
        self.expect(",[")
        env: dict[str, str] = {}
        while not self.end_of_list():
            self.expect("(")
            key = self.string()
            self.expect(",")
            env[key] = self.string()
            self.expect(")")
        self.expect(")")
        return Derivation(name, outputs, input_drvs, input_srcs, platform, builder, args, env)

    def output(self) -> DerivationOutput:
        self.expect(",")
        path = self.string()
        self.expect(",")
        hash_algo = self.string()
        self.expect(",")
        hash = self.string()
        self.expect(")")
        if not hash_algo:
            return DerivationOutput(self.store_path(path) if path else "")
        algo = parse_hash_algo(hash_algo.removeprefix("r:"))
        if hash == "impure":
            raise EvalError(_missing_feature("impure-derivations"))
        if not hash:
            raise EvalError(_missing_feature("ca-derivations"))
        return DerivationOutput(self.store_path(path), hash_algo, parse_hash_unprefixed(hash, algo).to_string("base16"))

    def expect(self, s: str) -> None:
        if not self.text.startswith(s, self.pos):
            raise EvalError(f"expected string '{s}'")
        self.pos += len(s)

    def end_of_list(self) -> bool:
        c = self.text[self.pos : self.pos + 1]
        if c in (",", "]"):
            self.pos += 1
        return c == "]"

    def string(self) -> str:
        self.expect('"')
        chars: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise EvalError("expected string '\"'")
            c = self.text[self.pos]
            self.pos += 1
            if c == '"':
                return "".join(chars)
            if c == "\\" and self.pos < len(self.text):
                c = self.text[self.pos]
                self.pos += 1
                c = _UNESCAPES.get(c, c)
            chars.append(c)

    def strings(self) -> list[str]:
        items = []
        while not self.end_of_list():
            items.append(self.string())
        return items

    def store_path(self, path: str | None = None) -> str:
        if path is None:
            path = self.string()
        if not path.startswith("/"):
            raise EvalError(f"bad path '{path}' in derivation")
        parse_store_path(path, self.store_dir)
        return path


def _missing_feature(feature: str) -> str:
    return f"experimental Nix feature '{feature}' is disabled; use '--extra-experimental-features {feature}' to override"
