# createManagedProcess composed with every backend generator. The
# generators are nixproc's own (Python, reached through native.nix); this
# header is the one models written for nix-processmgmt call.
{ pkgs, runtimeDir, logDir, tmpDir, stateDir, forceDisableUserChange ? false, processManager ? null, ids ? {} }:

let
  native = import ../../native.nix;
  waitReady = import ../../wait-ready.nix;

  settings = { inherit runtimeDir logDir tmpDir stateDir forceDisableUserChange ids; };

  # As upstream's outputs, each keeps its dependencies' packages (what a
  # Disnix architecture orders activation by).
  generator = manager: args:
    import ../../generated-files.nix (native.generate manager (settings // waitReady args.readiness) args)
      // { inherit (args) dependencies; };

  managers = [ "bsdrc" "cygrunsrv" "disnix" "docker" "launchd" "s6-rc" "supervisord" "systemd" "sysvinit" ];
in
import ../agnostic/create-managed-process.nix {
  inherit processManager;
  stdenv = pkgs.stdenv or null;
  generators = builtins.listToAttrs (map (manager: { name = manager; value = generator manager; }) managers);
}
