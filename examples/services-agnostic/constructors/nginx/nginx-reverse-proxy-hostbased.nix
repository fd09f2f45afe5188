# nginx as a reverse proxy choosing the webapp by the Host header (the
# configuration: reverse-proxy-config.nix). Webapps on this machine come as
# instances (with port, dnsName and pkg); with Disnix, the inter-dependencies
# (third argument) are webapps on other machines, reached by their target's
# hostname.
{ createManagedProcess, stdenv, lib, writeTextFile, nginx, runtimeDir, stateDir, cacheDir, forceDisableUserChange }:

{ port ? 80
, webapps ? []
, instanceSuffix ? ""
, instanceName ? "nginx${instanceSuffix}"
, workerConnections ? 190000
}:

interDependencies:

let
  remoteWebapps = map (name: interDependencies.${name}) (builtins.attrNames interDependencies);

  configFile = import ./reverse-proxy-config.nix {
    inherit lib writeTextFile runtimeDir stateDir cacheDir forceDisableUserChange;
  } {
    inherit instanceName port webapps remoteWebapps workerConnections;
  };
in
import ./default.nix {
  inherit createManagedProcess lib nginx stateDir cacheDir forceDisableUserChange;
} {
  inherit instanceName configFile;
  dependencies = map (webapp: webapp.pkg) webapps
    ++ map (webapp: webapp.pkgs.${stdenv.system}) remoteWebapps;
}
