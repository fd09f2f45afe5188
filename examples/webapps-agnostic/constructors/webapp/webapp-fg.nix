# The webapp described for foreground mode only: it never forks, so managers
# that prefer daemons wrap it in a daemonizer that keeps its PID file.
{ createManagedProcess, tmpDir, webapp }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}", dependencies ? [] }:

createManagedProcess (import ./common.nix { inherit instanceName port; } // {
  inherit instanceName dependencies;
  foregroundProcess = "${webapp}/bin/webapp";
  environment.PORT = port;
})
