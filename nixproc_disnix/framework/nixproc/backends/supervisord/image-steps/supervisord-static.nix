# The model's supervisord profile is /etc/supervisor; its accounts are made
# unless user changes are disabled.
{ pkgs, common, input, result }:

let
  profile = import ../build-supervisord-env.nix {
    inherit pkgs;
    inherit (common) system;
    inherit (input) exprFile extraParams stateDir runtimeDir forceDisableUserChange;
  };
in
import ../../../create-image-from-steps/steps/add-accounts.nix result {
  profiles = pkgs.lib.optional (!input.forceDisableUserChange) profile;
} // {
  extraCommands = result.extraCommands or "" + ''
    ln -s ${profile} etc/supervisor
  '';
}
