# An image from a processes model and command-line options, for
# `nixproc-build-image --process-manager PM MODEL`: createMultiProcessImage
# (or, with `mutable`, createMutableMultiProcessImage) called with the
# options given. `exprFile` is an absolute path as a string, so any file
# name works; an unset `runtimeDir` follows `stateDir` as for nixproc-build.
{ processManager
, exprFile
, name ? "multiprocess"
, tag ? "latest"
, mutable ? false
, interactive ? true
, manpages ? false
, forceDisableUserChange ? false
, stateDir ? "/var"
, runtimeDir ? null
, extraParams ? {}
, idResourcesFile ? null
, idsFile ? null
, system ? builtins.currentSystem
, pkgs ? import <nixpkgs> { inherit system; }
}:

let
  create = import (if mutable then ./create-mutable-multi-process-image-universal.nix
    else ./create-multi-process-image-universal.nix) { inherit pkgs; };

  optionalPath = attr: file: if file == null then {} else { ${attr} = /. + file; };
in
create ({
  inherit name tag processManager interactive manpages forceDisableUserChange stateDir extraParams;
  exprFile = /. + exprFile;
}
// (if runtimeDir == null then {} else { inherit runtimeDir; })
// optionalPath "idResourcesFile" idResourcesFile
// optionalPath "idsFile" idsFile)
