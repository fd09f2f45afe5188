# The webapp described for daemon mode only: it forks itself and writes the
# PID file the manager is told about, so every manager runs it as a daemon
# (foreground-only managers through a proxy that waits for the PID).
{ createManagedProcess, tmpDir, webapp }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}", dependencies ? [] }:

let
  pidFile = "${tmpDir}/${instanceName}.pid";
in
createManagedProcess (import ./common.nix { inherit instanceName port; } // {
  inherit instanceName dependencies pidFile;
  daemon = "${webapp}/bin/webapp";
  daemonArgs = [ "-D" ];
  environment = {
    PORT = port;
    PID_FILE = pidFile;
  };
})
