# nginx in front of the webapps, as an init script. The configuration is the
# services-agnostic example's host-based one; nginx starts as root and drops
# to the instance's own user, so the script has no user of its own.
{ createSystemVInitScript, lib, writeTextFile, nginx, stateDir, runtimeDir, cacheDir, forceDisableUserChange }:
{ port ? 80, webapps ? [], instanceSuffix ? "", instanceName ? "nginx${instanceSuffix}" }:

let
  nginxStateDir = "${stateDir}/${instanceName}";
  nginxLogDir = "${nginxStateDir}/logs";
  nginxCacheDir = "${cacheDir}/${instanceName}";

  configFile = import ../../../services-agnostic/constructors/nginx/reverse-proxy-config.nix {
    inherit lib writeTextFile runtimeDir stateDir cacheDir forceDisableUserChange;
  } {
    inherit instanceName port webapps;
  };
in
createSystemVInitScript {
  inherit instanceName;
  name = instanceName;
  description = "Nginx (${instanceName})";
  initialize = ''
    mkdir -p ${nginxLogDir} ${nginxCacheDir}
  '' + lib.optionalString (!forceDisableUserChange) ''
    chown ${instanceName}:${instanceName} ${nginxLogDir} ${nginxCacheDir}
  '';
  process = "${nginx}/bin/nginx";
  args = [ "-p" nginxStateDir "-e" "${nginxLogDir}/error.log" "-c" configFile ];
  pidFile = "${runtimeDir}/${instanceName}.pid";
  runlevels = [ 3 4 5 ];
  dependencies = map (webapp: webapp.pkg) webapps;
  credentials = {
    groups.${instanceName} = {};
    users.${instanceName} = {
      group = instanceName;
      description = "Nginx user";
    };
  };
}
