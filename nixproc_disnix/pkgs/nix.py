"""``--pkgs nix``: real Nix instantiates and builds packages from the real nixpkgs on the search path.

Our evaluator cannot evaluate nixpkgs itself at a useful speed, so each
package a model uses costs one ``nix-instantiate`` (what is at this
attribute path: a derivation, its outputs; or a set, its names) and one
``nix-store --realise``. Names come from nixpkgs, one set at a time, when
first selected. Our lib and build support still take precedence
(``default.nix``), so trivial builders are ours and can use these packages.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

from nixproc_disnix.compiler.eval.values import Attrs, Lazy
from nixproc_disnix.errors import BuildError, EvalError, NixprocError, ThrownError
from nixproc_disnix.pkgs.package_set import ROOT, Resolver, derivation_like, lazy_leaves

if TYPE_CHECKING:
    from nixproc_disnix.compiler.eval.evaluator import Evaluator

NIX_TOOLS = ("nix-instantiate", "nix-store")
ERROR_TAIL_LINES = 10

# What is at `attrPath` (a JSON list of names) in nixpkgs, for nix-instantiate --eval --strict --json.
_DESCRIBE = """
{ system, attrPath }:
let
  value = builtins.foldl' (set: name: set.${name}) (import <nixpkgs> { inherit system; }) (builtins.fromJSON attrPath);
in
  if builtins.isAttrs value && value.type or null == "derivation" then {
    kind = "derivation";
    inherit (value) name drvPath;
    outputs = builtins.listToAttrs (map (output: { name = output; value = value.${output}.outPath; })
      (value.outputs or [ "out" ]));
  } else if builtins.isAttrs value then {
    kind = "set";
    names = builtins.attrNames value;
  } else {
    kind = builtins.typeOf value;
  }
"""


def real_nixpkgs(ev: Evaluator) -> str | None:
    """The nixpkgs directory on ``ev``'s search path, never our stand-in."""
    try:
        return os.path.dirname(ev.find_file("nixpkgs/default.nix"))
    except ThrownError:
        return None


class NixResolver(Resolver):
    kind = "nix"

    def __init__(self, ev: Evaluator) -> None:
        super().__init__(ev)
        found = {tool: shutil.which(tool) for tool in NIX_TOOLS}
        missing = [tool for tool, path in found.items() if path is None]
        if missing:
            raise EvalError(f"--pkgs nix needs Nix, but {' and '.join(missing)} cannot be found on PATH")
        self.tools = {tool: path for tool, path in found.items() if path is not None}
        nixpkgs = real_nixpkgs(ev)
        if nixpkgs is None:
            raise EvalError("--pkgs nix needs nixpkgs, but <nixpkgs> is not on the search path "
                            "(add it with -I nixpkgs=PATH or NIX_PATH)")
        self.nixpkgs = nixpkgs

    def packages(self) -> Any:
        return Lazy(lambda: self._value([]))

    def not_found(self, attr_path: str) -> str:
        return f"{attr_path} is not in nixpkgs ({self.nixpkgs})"

    def _value(self, path: list[str]) -> Any:
        """The package, or the set of packages, at ``path``."""
        description = self._describe(path)
        shown = ".".join([ROOT, *path])
        kind = description["kind"]
        if kind == "set":
            names = {name: name for name in description["names"]}
            packages = Attrs(lazy_leaves(names, lambda name: self._value([*path, name])))
            return self.explain(packages, shown) if path else packages
        if kind != "derivation":
            raise ThrownError(f"{shown} in nixpkgs is a {kind}, but --pkgs nix passes on only packages and sets of them")
        self._run("nix-store", ["--realise", description["drvPath"]], f"building {shown}", BuildError)
        return derivation_like(description["name"], self.ev.system, description["drvPath"], description["outputs"])

    def _describe(self, path: list[str]) -> dict[str, Any]:
        output = self._run("nix-instantiate", [
            "-I", f"nixpkgs={self.nixpkgs}", "--read-write-mode", "--eval", "--strict", "--json", "-E", _DESCRIBE,
            "--argstr", "system", self.ev.system, "--argstr", "attrPath", json.dumps(path),
        ], f"evaluating {'.'.join([ROOT, *path])} in nixpkgs", ThrownError)
        return json.loads(output)

    def _run(self, tool: str, args: list[str], what: str, error: type[NixprocError]) -> str:
        result = subprocess.run([self.tools[tool], *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-ERROR_TAIL_LINES:])
            raise error(f"{what} with {tool} failed:\n{tail}")
        return result.stdout
