# The webapps example (../webapps-agnostic: two webapp instances behind an
# nginx reverse proxy that picks one by host name) as one Docker image, run
# by the process manager of choice (supervisord, sysvinit, disnix or s6-rc).
#
#   nixproc build-image examples/multi-process-image [--argstr processManager sysvinit]
#   docker load -i result
#   docker run --name multiprocess --rm --network host -it multiprocess:test
#   curl -H 'Host: webapp1.local' http://localhost:8080
{ pkgs ? import <nixpkgs> { inherit system; }
, system ? builtins.currentSystem
, processManager ? "supervisord"
, forceDisableUserChange ? false
}:

let
  createMultiProcessImage = import <nix-processmgmt/nixproc/create-image-from-steps/create-multi-process-image-universal.nix> {
    inherit pkgs;
  };
in
createMultiProcessImage {
  name = "multiprocess";
  tag = "test";
  exprFile = ../webapps-agnostic/processes.nix;
  inherit processManager forceDisableUserChange;
}
