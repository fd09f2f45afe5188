# Fixed points and overlays: the machinery behind `self`/`super` extension.
# Uses builtins only, so default.nix can build lib itself with it.
{ ... }:
rec {
  # The value x with x = f x; f must be lazy in its argument.
  fix = f: let x = f x; in x;

  # Like fix, but remembers f as __unfix__ so the result can be re-tied.
  fix' = f: let x = f x // { __unfix__ = f; }; in x;

  # Apply f until the result stops changing.
  converge = f: x:
    let next = f x; in
    if next == x then x else converge f next;

  # Layer the overlay f (self: super: ...) on top of rattrs (self: ...).
  extends = f: rattrs: self:
    let super = rattrs self; in
    super // f self super;

  # One overlay that applies f, then g on top of f's result.
  composeExtensions = f: g: final: prev:
    let
      fApplied = f final prev;
      prevAfterF = prev // fApplied;
    in
    fApplied // g final prevAfterF;

  composeManyExtensions = builtins.foldl'
    (acc: ext: composeExtensions acc ext)
    (final: prev: { });

  makeExtensible = makeExtensibleWithCustomName "extend";

  # A fixed point carrying a function (named extenderName) that adds an overlay.
  makeExtensibleWithCustomName = extenderName: rattrs:
    fix' (self: rattrs self // {
      ${extenderName} = f: makeExtensibleWithCustomName extenderName (extends f rattrs);
    });
}
