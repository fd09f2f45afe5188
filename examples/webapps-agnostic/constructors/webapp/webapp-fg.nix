# The webapp described for foreground mode only: it never forks, so managers
# that prefer daemons wrap it in a daemonizer that keeps its PID file.
{ createManagedProcess, tmpDir, webapp }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}", dependencies ? [] }:

createManagedProcess {
  inherit instanceName dependencies;
  description = "Webapp (${instanceName})";
  foregroundProcess = "${webapp}/bin/webapp";
  environment.PORT = port;
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
