# What createMultiProcessImage and createMutableMultiProcessImage share: the
# input with its directories defaulted as for nixproc-build (a given
# stateDir moves the runtime directory along), the steps every image takes,
# and the manager's own (`steps.<processManager>`). `deploymentStep` builds
# the deployment in or leaves it to the container; `extraSteps` come last.
{ pkgs, deploymentStep, extraSteps ? [] }:
{ processManager, steps, ... }@input:

let
  stateDir = input.stateDir or "/var";

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
    deploymentStep
    ./steps/su-pam.nix
  ] ++ import (builtins.getAttr processManager steps) ++ extraSteps;
}
