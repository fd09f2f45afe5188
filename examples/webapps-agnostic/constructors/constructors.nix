# Constructors: functions that turn instance parameters into managed processes.
{ pkgs
, stateDir
, runtimeDir
, logDir
, cacheDir
, libDir
, tmpDir
, forceDisableUserChange
, processManager
, webappMode ? null
, ids ? {}
, nix-processmgmt ? <nix-processmgmt>
}:

let
  createManagedProcess = import "${nix-processmgmt}/nixproc/create-managed-process/universal/create-managed-process-universal.nix" {
    inherit pkgs runtimeDir logDir tmpDir stateDir forceDisableUserChange processManager ids;
  };
in
{
  webapp = import ./webapp {
    inherit createManagedProcess tmpDir;
    webapp = ../webapp;
    python = pkgs.python3;
  };
}
