# What every backends/<pm>/build-<pm>-env.nix does: call the processes model
# (call-processes-model.nix) and link every instance's pkg into one profile.
{ processManager }:

{ pkgs ? null
, system ? builtins.currentSystem
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, cacheDir ? "${stateDir}/cache"
, spoolDir ? "${stateDir}/spool"
, lockDir ? "${stateDir}/lock"
, libDir ? "${stateDir}/lib"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, callingUser ? null
, callingGroup ? null
, extraParams ? {}
, exprFile ? null
}@args:

let
  native = import ./native.nix;

  processes = import ./call-processes-model.nix { inherit processManager exprFile extraParams args; };

  pkgs = map (name: (builtins.getAttr name processes).pkg) (builtins.attrNames processes);
in
derivation {
  name = native.profileName processManager;
  system = builtins.currentSystem;
  builder = "builtin:nixproc-profile";
  paths = pkgs;
  files = native.profileFiles processManager (map (pkg: pkg.name) pkgs);
}
