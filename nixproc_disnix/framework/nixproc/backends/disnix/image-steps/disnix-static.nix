# The container's main process activates the model's Disnix manifest and,
# on docker stop, deactivates it again (a switch to the empty manifest).
{ pkgs, common, input, result }:

let
  manifest = exprFile: import ../build-disnix-env.nix {
    inherit pkgs exprFile;
    inherit (common) system;
    inherit (input) extraParams stateDir runtimeDir forceDisableUserChange;
  };

  profile = manifest input.exprFile;
  empty = manifest null;

  proxy = import ../../util/generate-compound-proxy.nix { inherit (pkgs) stdenv lib writeTextFile; } {
    path = [ pkgs.dysnomia pkgs.disnix ];
    startCommand = "disnix-activate ${profile}";
    stopCommand = "disnix-activate -o ${profile} ${empty}";
  };
in
result // {
  config = result.config or {} // {
    Cmd = [ "${proxy}" ];
  };
}
