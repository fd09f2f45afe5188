# The webapps-agnostic system for sysvinit only: two webapps (the second
# starts after the first) behind an nginx reverse proxy choosing the webapp by
# host name. No processManager: the constructors write init scripts directly.
# Deploy with nixproc-sysvinit-switch.
{ pkgs ? import <nixpkgs> { inherit system; }
, system ? builtins.currentSystem
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, cacheDir ? "${stateDir}/cache"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
}:

let
  ids = if builtins.pathExists ./ids.nix then (import ./ids.nix).ids else {};

  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir cacheDir logDir runtimeDir tmpDir forceDisableUserChange ids;
  };
in
rec {
  webapp1 = rec {
    port = ids.webappPorts.webapp1 or 0;
    dnsName = "webapp1.local";
    pkg = constructors.webapp { inherit port; instanceSuffix = "1"; };
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  webapp2 = rec {
    port = ids.webappPorts.webapp2 or 0;
    dnsName = "webapp2.local";
    pkg = constructors.webapp { inherit port; instanceSuffix = "2"; dependencies = [ webapp1.pkg ]; };
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  nginx = rec {
    port = ids.nginxPorts.nginx or 0;
    pkg = constructors.nginxReverseProxy { webapps = [ webapp1 webapp2 ]; inherit port; };
    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };
}
