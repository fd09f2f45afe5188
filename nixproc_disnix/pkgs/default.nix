/* `import <nixpkgs> { ... }` when the search path has no nixpkgs: nixpkgs'
   arguments and top-level names over our lib, our build support
   (./build-support) and the packages of the resolver nixproc attached
   (--pkgs host|nix|stub, see ./__init__.py).  Overlays apply as in nixpkgs;
   selecting a package the resolver lacks names it and says why. */
{ system ? builtins.currentSystem, config ? { }, overlays ? [ ], ... }:

let
  lib = import ../compiler/lib;

  # { kind, packages, explainMissing }, provided by nixproc.
  resolver = import ./resolver.nix;

  base = final: resolver.packages // import ./build-support { inherit lib system; } // {
    inherit lib system config;
    pkgs = final;
    callPackage = lib.callPackageWith final;
    callPackages = lib.callPackagesWith final;
    newScope = extra: lib.callPackageWith (final // extra);
  };
in
resolver.explainMissing (lib.fix (lib.foldl' (lib.flip lib.extends) base overlays))
