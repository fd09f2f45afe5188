# What every description of a webapp instance shares: its own user and group,
# its runlevels, and readiness: the instance counts as started once its port
# accepts connections (with no port assigned yet, there is nothing to check).
{ instanceName, port }:

{
  description = "Webapp (${instanceName})";
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
} // (if port == 0 then {} else {
  readiness = { tcpPort = port; timeout = 10; };
})
