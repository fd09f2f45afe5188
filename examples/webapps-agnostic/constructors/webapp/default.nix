# One webapp instance. Everything that could clash between instances (port,
# PID file, user, group) derives from instanceName, so several can run at once.
{ createManagedProcess, tmpDir, webapp, python }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}", dependencies ? [] }:

createManagedProcess {
  inherit instanceName dependencies;
  description = "Small HTTP webapp serving on port ${toString port}";
  process = "${python}/bin/python3";
  args = [ "${webapp}/webapp.py" ];
  daemonArgs = [ "${webapp}/webapp.py" "--daemon" ];
  environment = {
    PORT = port;
    PID_FILE = "${tmpDir}/${instanceName}.pid";
  };
  user = instanceName;
  credentials = {
    groups.${instanceName} = {};
    users.${instanceName} = {
      group = instanceName;
      description = "Webapp ${instanceName}";
    };
  };

  overrides = {
    sysvinit.runlevels = [ 3 4 5 ];
  };
}
