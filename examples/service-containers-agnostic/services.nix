# A Disnix services model: a supervisord deployed with the target's process
# manager, and two webapps deployed into it as supervisord programs. The
# webapps are activated after the supervisord that hosts them, because they
# go into the container it provides.
#
#   nixproc-disnix-env -s services.nix -i infrastructure.nix -d distribution.nix
{ system, pkgs, distribution, invDistribution
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, cacheDir ? "${stateDir}/cache"
, libDir ? "${stateDir}/lib"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager ? "sysvinit"
, nix-processmgmt ? <nix-processmgmt>
}:

let
  ids = if builtins.pathExists ./ids.nix then (import ./ids.nix).ids else {};

  containerProviders = import ./constructors.nix {
    inherit pkgs stateDir runtimeDir logDir cacheDir libDir tmpDir forceDisableUserChange processManager nix-processmgmt;
  };

  # The webapps as supervisord programs, whatever manager runs the supervisord.
  programs = import ../webapps-agnostic/constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir tmpDir forceDisableUserChange nix-processmgmt ids;
    processManager = "supervisord";
  };

  processType = import "${nix-processmgmt}/nixproc/derive-dysnomia-process-type.nix" { inherit processManager; };
in
{
  supervisord = containerProviders.extendableSupervisord {
    inetHTTPServerPort = ids.inetHTTPPorts.supervisord or 9001;
    type = processType;
  } // {
    requiresUniqueIdsFor = [ "inetHTTPPorts" ];
  };

  webapp1 = {
    name = "webapp1";
    port = ids.webappPorts.webapp1 or 0;
    pkg = programs.webapp { port = ids.webappPorts.webapp1 or 0; instanceName = "webapp1"; };
    type = "supervisord-program";
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  webapp2 = {
    name = "webapp2";
    port = ids.webappPorts.webapp2 or 0;
    pkg = programs.webapp { port = ids.webappPorts.webapp2 or 0; instanceName = "webapp2"; };
    type = "supervisord-program";
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };
}
