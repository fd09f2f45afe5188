# createMutableMultiProcessImage: an image whose process manager starts
# empty and whose processes are deployed inside the running container with
# the nixproc tools, from /etc/nixproc/processes.nix (exprFile, optional):
# on the first start by /bin/bootstrap, afterwards with
# nixproc-<processManager>-switch after editing the model.
{ pkgs }:
{ processManager, steps, ... }@input:

let
  stateDir = input.stateDir or "/var";

  # As for the static image; upstream leaves forceDisableUserChange and extraParams undefined here.
  completeInput = input // {
    inherit stateDir;
    runtimeDir = input.runtimeDir or "${stateDir}/run";
    forceDisableUserChange = input.forceDisableUserChange or false;
    extraParams = input.extraParams or {};
  };
in
if !(builtins.hasAttr processManager steps) then
  throw "no image steps for process manager '${processManager}' (a multi-process image runs one of: ${builtins.concatStringsSep ", " (builtins.attrNames steps)})"
else import ./create-image-from-steps.nix {
  inherit pkgs;
  input = completeInput;
  common.system = builtins.currentSystem;
  steps = [
    ./steps/init.nix
    ./steps/basic.nix
    ./steps/interactive.nix
    ./steps/man.nix
    ./steps/nix-processmgmt-dynamic.nix
    ./steps/su-pam.nix
  ] ++ import (builtins.getAttr processManager steps) ++ [
    ./steps/bootstrap-init.nix
    ./steps/nixproc-store.nix
  ];
}
