# The model's s6-rc services, compiled into the database stage 1 starts;
# accounts are made unless user changes are disabled.
{ pkgs, common, input, result }:

let
  profile = import ../build-s6-rc-env.nix {
    inherit pkgs;
    inherit (common) system;
    inherit (input) exprFile extraParams stateDir runtimeDir forceDisableUserChange;
  };
in
import ../../../create-image-from-steps/steps/add-accounts.nix result {
  profiles = pkgs.lib.optional (!input.forceDisableUserChange) profile;
} // {
  extraCommands = result.extraCommands or "" + ''
    mkdir -p etc/s6/rc
    ${pkgs.s6-rc}/bin/s6-rc-compile etc/s6/rc/compiled ${profile}/etc/s6/sv
  '';
}
