# The nixproc tools as packages (upstream's tools/default.nix): our console
# scripts, run by the Python that runs this evaluation with links to its
# packages (nixproc_disnix/image/tools.py). Upstream has a package per
# manager; ours is one package, under each of upstream's names.
{ pkgs ? null, system ? builtins.currentSystem }:

let
  native = import ../nixproc/native.nix;
  generated = import ../nixproc/generated-files.nix;

  tools = generated (native.tools (generated (native.pythonEnvironment {})));

  names = [ "common" "generate-config" "idassign" "bsdrc" "cygrunsrv" "disnix" "docker" "launchd" "s6-rc"
            "supervisord" "systemd" "sysvinit" ];
in
builtins.listToAttrs (map (name: { inherit name; value = tools; }) names)
