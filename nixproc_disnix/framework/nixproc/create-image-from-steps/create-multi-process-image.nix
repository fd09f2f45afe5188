# createMultiProcessImage: an image running a processes model under one
# process manager, its deployment built in (`steps.<processManager>` names
# that manager's step list). Changing what runs takes a new image.
{ pkgs }:

import ./multi-process-image.nix {
  inherit pkgs;
  deploymentStep = ./steps/nix-processmgmt-static.nix;
}
