# A Docker engine (dockerd) instance. dockerd only runs in the foreground, so
# managers that prefer daemons wrap it in a daemonizer, which keeps its own
# PID file at the usual place; dockerd's own PID file therefore gets an -alt
# suffix, or the two would clash and dockerd would refuse to start. The
# instance's group may use its socket.
{ createManagedProcess, docker, kmod, runtimeDir, libDir }:
{ instanceSuffix ? "", instanceName ? "docker${instanceSuffix}", extraArgs ? [] }:

let
  user = instanceName;
  group = instanceName;
in
createManagedProcess {
  inherit instanceName;
  description = "Docker engine (${instanceName})";
  foregroundProcess = "${docker}/bin/dockerd";
  args = [
    "--group=${group}"
    "--host=unix://${runtimeDir}/${instanceName}.sock"
    "--pidfile=${runtimeDir}/${instanceName}-alt.pid"
    "--data-root=${libDir}/${instanceName}"
    "--exec-root=${runtimeDir}/${instanceName}"
    "--log-driver=json-file"
  ] ++ extraArgs;
  # dockerd loads the kernel modules it needs with modprobe.
  path = [ kmod ];

  credentials = {
    groups.${group} = {};
    users.${user} = {
      inherit group;
      description = "Docker user";
    };
  };

  overrides = {
    sysvinit.runlevels = [ 3 4 5 ];
  };
}
