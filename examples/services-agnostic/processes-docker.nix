# The Docker engine as a managed process, on its own so the services of
# processes.nix deploy on machines without Docker (and in CI). Its user and
# group get whatever uid/gid the system hands out: it needs no ids.
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
}:

let
  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir cacheDir libDir tmpDir;
    inherit forceDisableUserChange processManager;
  };
in
{
  docker = {
    pkg = constructors.docker {};
  };
}
