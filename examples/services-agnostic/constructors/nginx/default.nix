# An nginx instance serving a given configuration file. Its state (logs, the
# prefix for relative paths) lives in ${stateDir}/<instance> and its caches in
# ${cacheDir}/<instance>, so several instances do not meet. nginx starts as
# root and drops to the instance's own user, named in the configuration; that
# user owns the directories nginx writes to once it has dropped privileges.
{ createManagedProcess, lib, nginx, stateDir, cacheDir, forceDisableUserChange }:
{ configFile, dependencies ? [], instanceSuffix ? "", instanceName ? "nginx${instanceSuffix}" }:

let
  user = instanceName;
  group = instanceName;

  nginxStateDir = "${stateDir}/${instanceName}";
  nginxLogDir = "${nginxStateDir}/logs";
  nginxCacheDir = "${cacheDir}/${instanceName}";
in
createManagedProcess {
  inherit instanceName dependencies;
  description = "Nginx (${instanceName})";
  initialize = ''
    mkdir -p ${nginxLogDir} ${nginxCacheDir}
  '' + lib.optionalString (!forceDisableUserChange) ''
    chown ${user}:${group} ${nginxLogDir} ${nginxCacheDir}
  '';
  process = "${nginx}/bin/nginx";
  # -e: the error log before the configuration is read (nginx otherwise tries
  # the path it was compiled with, which an unprivileged instance cannot open).
  args = [ "-p" nginxStateDir "-e" "${nginxLogDir}/error.log" "-c" configFile ];
  foregroundProcessExtraArgs = [ "-g" "daemon off;" ];

  credentials = {
    groups.${group} = {};
    users.${user} = {
      inherit group;
      description = "Nginx user";
    };
  };

  overrides = {
    sysvinit.runlevels = [ 3 4 5 ];
  };
}
