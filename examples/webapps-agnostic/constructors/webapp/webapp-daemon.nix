# The webapp described for daemon mode only: it forks itself and writes the
# PID file the manager is told about, so every manager runs it as a daemon
# (foreground-only managers through a proxy that waits for the PID).
{ createManagedProcess, tmpDir, webapp }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}", dependencies ? [] }:

let
  pidFile = "${tmpDir}/${instanceName}.pid";
in
createManagedProcess {
  inherit instanceName dependencies pidFile;
  description = "Webapp (${instanceName})";
  daemon = "${webapp}/bin/webapp";
  daemonArgs = [ "-D" ];
  environment = {
    PORT = port;
    PID_FILE = pidFile;
  };
  user = instanceName;
  credentials = {
    groups.${instanceName} = {};
    users.${instanceName} = {
      group = instanceName;
      description = "Webapp user";
    };
  };

  overrides = {
    sysvinit.runlevels = [ 3 4 5 ];
  };
}
