# The Dysnomia module type that deploys a process made for a process manager
# (processManager = null: the agnostic JSON, converted on the target).
{ processManager }:

let
  types = {
    sysvinit = "sysvinit-script";
    systemd = "systemd-unit";
    supervisord = "supervisord-program";
    bsdrc = "bsdrc-script";
    cygrunsrv = "cygrunsrv-service";
    launchd = "launchd-daemon";
    disnix = "process";
    docker = "docker-container";
    s6-rc = "s6-rc-service";
  };
in
if processManager == null then "managed-process"
else if builtins.hasAttr processManager types then builtins.getAttr processManager types
else throw "Unknown process manager: ${processManager}"
