# Constructors: functions that turn instance parameters into managed processes.
#
# webappMode chooses how the webapp is described: "foreground" and "daemon"
# force every manager into that mode; null lets each manager pick the mode it
# prefers (sysvinit lets the webapp daemonize itself, systemd keeps it in the
# foreground).
{ pkgs
, stateDir
, runtimeDir
, logDir
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

  webappConstructor =
    if webappMode == "foreground" then ./webapp/webapp-fg.nix
    else if webappMode == "daemon" then ./webapp/webapp-daemon.nix
    else if webappMode == null then ./webapp
    else throw "webappMode must be \"foreground\", \"daemon\" or null, not ${builtins.toJSON webappMode}";
in
{
  webapp = import webappConstructor {
    inherit createManagedProcess tmpDir;
    webapp = import ../webapp { inherit (pkgs) runCommand python3; };
  };
}
