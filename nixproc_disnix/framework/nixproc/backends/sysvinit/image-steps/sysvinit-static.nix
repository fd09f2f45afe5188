# The model's sysvinit profile is /etc/rc.d; the container's main process
# starts runlevel 3's scripts in order, and stops them in reverse order on
# docker stop, as nixproc-sysvinit-runactivity does. Accounts are made
# unless user changes are disabled.
{ pkgs, common, input, result }:

let
  profile = import ../build-sysvinit-env.nix {
    inherit pkgs;
    inherit (common) system;
    inherit (input) exprFile extraParams stateDir runtimeDir forceDisableUserChange;
  };

  scripts = "${profile}/etc/rc.d/rc3.d";

  proxy = import ../../util/generate-compound-proxy.nix { inherit (pkgs) stdenv lib writeTextFile; } {
    path = [ pkgs.coreutils pkgs.daemon ];
    startCommand = ''
      for script in ${scripts}/S*; do
          if [ -e "$script" ]; then "$script" start; fi
      done
    '';
    stopCommand = ''
      scripts=(${scripts}/S*)
      for ((i = ''${#scripts[@]} - 1; i >= 0; i--)); do
          if [ -e "''${scripts[i]}" ]; then "''${scripts[i]}" stop || true; fi
      done
    '';
  };
in
import ../../../create-image-from-steps/steps/add-accounts.nix result {
  profiles = pkgs.lib.optional (!input.forceDisableUserChange) profile;
} // {
  extraCommands = result.extraCommands or "" + ''
    ln -s ${profile}/etc/rc.d etc/rc.d
  '';

  config = result.config or {} // {
    Cmd = [ "${proxy}" ];
  };
}
