# Constructors written directly for sysvinit: createSystemVInitScript instead
# of createManagedProcess, composed as nix-processmgmt's sysvinit examples
# compose it. The processes are the webapps-agnostic example's.
{ pkgs
, stateDir
, cacheDir
, logDir
, runtimeDir
, tmpDir
, forceDisableUserChange
, ids ? {}
, nix-processmgmt ? <nix-processmgmt>
}:

let
  createCredentials = import "${nix-processmgmt}/nixproc/create-credentials" {
    inherit ids forceDisableUserChange;
  };

  createSystemVInitScript = import "${nix-processmgmt}/nixproc/backends/sysvinit/create-sysvinit-script.nix" {
    inherit (pkgs) stdenv writeTextFile daemon;
    inherit createCredentials runtimeDir logDir tmpDir forceDisableUserChange;
    initFunctions = import "${nix-processmgmt}/nixproc/backends/sysvinit/init-functions.nix" {
      inherit runtimeDir;
    };
  };
in
{
  webapp = import ./webapp {
    inherit createSystemVInitScript tmpDir;
    webapp = import ../../webapps-agnostic/webapp { inherit (pkgs) runCommand python3; };
  };

  nginxReverseProxy = import ./nginx/nginx-reverse-proxy.nix {
    inherit createSystemVInitScript stateDir runtimeDir cacheDir forceDisableUserChange;
    inherit (pkgs) lib writeTextFile nginx;
  };
}
