# The state directories of the processes, made when the image is built as
# nixproc-init-state makes them before a deployment (the image holds no
# nixproc tools to do it when it starts).
{ pkgs, common, input, result }:

result // {
  extraCommands = result.extraCommands or ""
    + (import ../../native.nix).imageInitState { inherit (input) stateDir runtimeDir forceDisableUserChange; };
}
