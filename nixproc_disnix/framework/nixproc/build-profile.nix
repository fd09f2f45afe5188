# What every backends/<pm>/build-<pm>-env.nix does: call the processes model
# with the arguments given to the builder (not the builder's defaults: a
# directory nobody passed falls back to the model's own default), the fixed
# process manager and extraParams on top, keeping only what the model
# declares; then link every instance's pkg into one profile.
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

  processesFun = import exprFile;

  processesArgs = builtins.intersectAttrs (builtins.functionArgs processesFun)
    (args // { inherit processManager; } // extraParams);

  processes = if exprFile == null then {} else processesFun processesArgs;

  pkgs = map (name: (builtins.getAttr name processes).pkg) (builtins.attrNames processes);
in
derivation {
  name = native.profileName processManager;
  system = builtins.currentSystem;
  builder = "builtin:nixproc-profile";
  paths = pkgs;
  files = native.profileFiles processManager (map (pkg: pkg.name) pkgs);
}
