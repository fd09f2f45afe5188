# A supervisord instance running a given configuration. Its PID and log files
# are named after the instance, so several supervisords can run side by side.
{ createManagedProcess, supervisor, runtimeDir, logDir }:
{ configFile, instanceSuffix ? "", instanceName ? "supervisord${instanceSuffix}", initialize ? "", postInstall ? "" }:

let
  pidFile = "${runtimeDir}/${instanceName}.pid";
  logFile = "${logDir}/${instanceName}.log";
in
createManagedProcess {
  inherit instanceName postInstall;
  description = "Supervisord (${instanceName})";
  initialize = ''
    mkdir -p ${logDir}
  '' + initialize;
  process = "${supervisor}/bin/supervisord";
  args = [ "--configuration" configFile "--logfile" logFile "--pidfile" pidFile ];
  foregroundProcessExtraArgs = [ "--nodaemon" ];

  overrides = {
    sysvinit.runlevels = [ 3 4 5 ];
  };
}
