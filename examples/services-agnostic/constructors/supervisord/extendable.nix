# A supervisord that other deployments extend at run time: it includes every
# program configuration dropped into ${libDir}/<instance>/conf.d, and serves
# its XML-RPC interface over HTTP on 127.0.0.1:inetHTTPServerPort, which is
# what supervisorctl and Disnix's supervisord-program module talk to.
{ createManagedProcess, writeTextFile, supervisor, runtimeDir, logDir, libDir }:

{ instanceSuffix ? ""
, instanceName ? "supervisord${instanceSuffix}"
, inetHTTPServerPort ? 9001
, postInstall ? ""
}:

let
  includeDir = "${libDir}/${instanceName}/conf.d";
in
import ./default.nix {
  inherit createManagedProcess supervisor runtimeDir logDir;
} {
  inherit instanceName postInstall;
  initialize = ''
    mkdir -p ${includeDir}
  '';
  configFile = writeTextFile {
    name = "${instanceName}.conf";
    text = ''
      [supervisord]

      [include]
      files = ${includeDir}/*

      [inet_http_server]
      port = 127.0.0.1:${toString inetHTTPServerPort}

      [rpcinterface:supervisor]
      supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
    '';
  };
}
