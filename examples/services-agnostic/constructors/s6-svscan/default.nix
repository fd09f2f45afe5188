# An s6-svscan instance supervising the service directories in scanDir (which
# s6-rc, or anyone, fills in). It runs in the foreground only. The s6-log
# user and group exist for the loggers of the supervised services.
{ createManagedProcess, s6, execline, runtimeDir }:

{ instanceSuffix ? ""
, instanceName ? "s6-svscan${instanceSuffix}"
, scanDir ? "${runtimeDir}/service${instanceSuffix}"
, logUser ? "s6-log${instanceSuffix}"
, logGroup ? "s6-log${instanceSuffix}"
}:

createManagedProcess {
  inherit instanceName;
  description = "s6-svscan (${instanceName})";
  initialize = ''
    mkdir -p ${scanDir}
  '';
  # Service run scripts are execline scripts calling s6 programs.
  path = [ s6 execline ];
  foregroundProcess = "${s6}/bin/s6-svscan";
  args = [ scanDir ];

  credentials = {
    groups.${logGroup} = {};
    users.${logUser} = {
      group = logGroup;
      description = "s6-log user";
    };
  };

  overrides = {
    sysvinit.runlevels = [ 3 4 5 ];
  };
}
