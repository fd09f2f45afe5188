# createMultiProcessImage: an image running a processes model under one
# process manager, its deployment built in (`steps.<processManager>` names
# that manager's step list). Changing what runs takes a new image.
{ pkgs }:
{ processManager, steps, ... }@input:

let
  stateDir = input.stateDir or "/var";

  # The directories default as for nixproc-build; a given stateDir moves the runtime directory along.
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
    ./steps/nix-processmgmt-static.nix
    ./steps/su-pam.nix
  ] ++ import (builtins.getAttr processManager steps);
}
