# One webapp instance as an init script: the webapp daemonizes itself with -D
# and writes its PID where the script looks for it.
{ createSystemVInitScript, tmpDir, webapp }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}", dependencies ? [] }:

createSystemVInitScript {
  inherit instanceName dependencies;
  name = instanceName;
  description = "Webapp (${instanceName})";
  process = "${webapp}/bin/webapp";
  args = [ "-D" ];
  environment = {
    PORT = port;
    PID_FILE = "${tmpDir}/${instanceName}.pid";
  };
  runlevels = [ 3 4 5 ];
  user = instanceName;
  credentials = {
    groups.${instanceName} = {};
    users.${instanceName} = {
      group = instanceName;
      description = "Webapp user";
    };
  };
}
