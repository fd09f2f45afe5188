# The Disnix coordinator profile starts as the empty manifest, which
# nixproc-disnix-switch replaces; the container's main process activates
# what it holds and deactivates it on docker stop.
{ pkgs, common, input, result }:

let
  empty = import ../build-disnix-env.nix {
    inherit pkgs;
    inherit (common) system;
    inherit (input) stateDir runtimeDir forceDisableUserChange extraParams;
    exprFile = null;
  };

  profile = "/nix/var/nix/profiles/per-user/root/disnix-coordinator/default";

  proxy = import ../../util/generate-compound-proxy.nix { inherit (pkgs) stdenv lib writeTextFile; } {
    path = [ pkgs.dysnomia pkgs.disnix ];
    startCommand = "disnix-activate -o ${empty} ${profile}";
    stopCommand = "disnix-activate -o ${profile} ${empty}";
  };
in
result // {
  extraCommands = result.extraCommands or "" + ''
    mkdir -p ${builtins.substring 1 (builtins.stringLength (dirOf profile)) (dirOf profile)}
    ln -s ${empty} ${builtins.substring 1 (builtins.stringLength profile) profile}
  '';

  config = result.config or {} // {
    Cmd = [ "${proxy}" ];
  };
}
