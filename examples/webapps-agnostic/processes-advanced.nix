# The webapps example at a larger scale: six webapp instances behind two
# nginx reverse proxies, nginx fronting webapps 1-4 and nginx2 webapps 5-6.
# Every conflicting resource derives from an instance name, so the same
# constructors make all of them. Ids come from ids-advanced.nix
# (nixproc-id-assign --ids ids-advanced.nix --output-file ids-advanced.nix).
{ pkgs ? import <nixpkgs> { inherit system; }
, system ? builtins.currentSystem
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, cacheDir ? "${stateDir}/cache"
, libDir ? "${stateDir}/lib"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager
, webappMode ? null
}:

let
  ids = if builtins.pathExists ./ids-advanced.nix then (import ./ids-advanced.nix).ids else {};

  sharedConstructors = import ../services-agnostic/constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir cacheDir libDir tmpDir;
    inherit forceDisableUserChange processManager ids;
  };

  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir tmpDir;
    inherit forceDisableUserChange processManager webappMode ids;
  };

  # An instance of the webapp and one of the proxy, named webapp<suffix> and
  # nginx<suffix> as their constructors name the processes.
  webapp = suffix: rec {
    port = ids.webappPorts."webapp${suffix}" or 0;
    dnsName = "webapp${suffix}.local";

    pkg = constructors.webapp {
      inherit port;
      instanceSuffix = suffix;
    };

    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  reverseProxy = { suffix ? "", webapps }: rec {
    port = ids.nginxPorts."nginx${suffix}" or 0;

    pkg = sharedConstructors.nginxReverseProxyHostBased {
      inherit webapps port;
      instanceSuffix = suffix;
    } {};

    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };
in
rec {
  webapp1 = webapp "1";
  webapp2 = webapp "2";
  webapp3 = webapp "3";
  webapp4 = webapp "4";
  webapp5 = webapp "5";
  webapp6 = webapp "6";

  nginx = reverseProxy {
    webapps = [ webapp1 webapp2 webapp3 webapp4 ];
  };

  nginx2 = reverseProxy {
    suffix = "2";
    webapps = [ webapp5 webapp6 ];
  };
}
