# createMutableMultiProcessImage: an image whose process manager starts
# empty and whose processes are deployed inside the running container with
# the nixproc tools, from /etc/nixproc/processes.nix (exprFile, optional):
# on the first start by /bin/bootstrap, afterwards with
# nixproc-<processManager>-switch after editing the model. As for the static
# image; upstream leaves forceDisableUserChange and extraParams undefined here.
{ pkgs }:

import ./multi-process-image.nix {
  inherit pkgs;
  deploymentStep = ./steps/nix-processmgmt-dynamic.nix;
  extraSteps = [
    ./steps/bootstrap-init.nix
    ./steps/nixproc-store.nix
  ];
}
