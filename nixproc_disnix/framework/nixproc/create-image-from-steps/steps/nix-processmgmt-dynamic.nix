# The nixproc tools and the processes model they deploy while the container
# runs: /etc/nixproc/processes.nix is a copy of exprFile (else an empty
# model to fill in), the ids files lie beside it under their own names, and
# NIXPROC_PROCESSES names it. The state directories are made now, as for a
# static image. The model's deployment is built now too and kept in the
# image (etc/nixproc/built-profile), so the packages it needs are there: the
# image has no Nix channel to fetch them from.
{ pkgs, common, input, result }:

let
  tools = (import ../../../tools { inherit pkgs; inherit (common) system; }).common;

  template = builtins.toFile "processes.nix" ''
    { pkgs ? import <nixpkgs> { inherit system; }
    , system ? builtins.currentSystem
    , stateDir ? "/var"
    , runtimeDir ? "''${stateDir}/run"
    , logDir ? "''${stateDir}/log"
    , tmpDir ? (if stateDir == "/var" then "/tmp" else "''${stateDir}/tmp")
    , forceDisableUserChange ? false
    , processManager
    }:

    let
      createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
        inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager;
      };
    in
    {
      # One attribute per process instance, e.g.:
      # webapp = { pkg = createManagedProcess { name = "webapp"; foregroundProcess = "..."; }; };
    }
  '';

  # A store path's file name without its hash, as upstream names the copies.
  nameOf = file: let base = baseNameOf "${file}"; in builtins.substring 33 (builtins.stringLength base) base;

  copy = source: target: ''
    cp ${source} ${target}
    chmod 644 ${target}
  '';

  manager = input.processManager;

  built = import (../../backends + "/${manager}/build-${manager}-env.nix") {
    inherit pkgs;
    inherit (common) system;
    inherit (input) exprFile extraParams stateDir runtimeDir forceDisableUserChange;
  };
in
result // {
  contents = result.contents or [] ++ [ tools ];

  extraCommands = result.extraCommands or ""
    + (import ../../native.nix).imageInitState { inherit (input) stateDir runtimeDir forceDisableUserChange; }
    + "mkdir -p etc/nixproc\n"
    + copy (input.exprFile or template) "etc/nixproc/processes.nix"
    + pkgs.lib.optionalString (input ? exprFile) "ln -s ${built} etc/nixproc/built-profile\n"
    + pkgs.lib.optionalString (input ? idResourcesFile) (copy input.idResourcesFile "etc/nixproc/${nameOf input.idResourcesFile}")
    + pkgs.lib.optionalString (input ? idsFile) (copy input.idsFile "etc/nixproc/${nameOf input.idsFile}");

  config = result.config or {} // {
    Env = result.config.Env or [] ++ [ "NIXPROC_PROCESSES=/etc/nixproc/processes.nix" ];
  };
}
