# Constructors for common system services, shared by the examples: each one
# turns instance parameters into a managed process for any process manager.
{ pkgs
, stateDir
, runtimeDir
, logDir
, cacheDir
, libDir
, tmpDir
, forceDisableUserChange
, processManager
, ids ? {}
, nix-processmgmt ? <nix-processmgmt>
}:

let
  createManagedProcess = import "${nix-processmgmt}/nixproc/create-managed-process/universal/create-managed-process-universal.nix" {
    inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager ids;
  };
in
{
  nginx = import ./nginx {
    inherit createManagedProcess stateDir cacheDir forceDisableUserChange;
    inherit (pkgs) lib nginx;
  };

  nginxReverseProxyHostBased = import ./nginx/nginx-reverse-proxy-hostbased.nix {
    inherit createManagedProcess stateDir runtimeDir cacheDir forceDisableUserChange;
    inherit (pkgs) stdenv lib writeTextFile nginx;
  };

  supervisord = import ./supervisord {
    inherit createManagedProcess runtimeDir logDir;
    inherit (pkgs.python3Packages) supervisor;
  };

  extendableSupervisord = import ./supervisord/extendable.nix {
    inherit createManagedProcess runtimeDir logDir libDir;
    inherit (pkgs) writeTextFile;
    inherit (pkgs.python3Packages) supervisor;
  };

  docker = import ./docker {
    inherit createManagedProcess runtimeDir libDir;
    inherit (pkgs) docker kmod;
  };

  s6-svscan = import ./s6-svscan {
    inherit createManagedProcess runtimeDir;
    inherit (pkgs) s6 execline;
  };
}
