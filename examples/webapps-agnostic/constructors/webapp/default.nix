# One webapp instance, in whichever mode the process manager prefers: the same
# executable serves in the foreground, or daemonizes itself with -D and writes
# its PID to PID_FILE. Everything that could clash between instances (port,
# PID file, user, group) derives from instanceName, so several can run at once.
{ createManagedProcess, tmpDir, webapp }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}", dependencies ? [] }:

createManagedProcess (import ./common.nix { inherit instanceName port; } // {
  inherit instanceName dependencies;
  process = "${webapp}/bin/webapp";
  daemonArgs = [ "-D" ];
  environment = {
    PORT = port;
    # Where the webapp writes its PID in daemon mode, which is also where the
    # managers look for it: a process running as a user keeps it in tmpDir.
    PID_FILE = "${tmpDir}/${instanceName}.pid";
  };
})
