# The host-based reverse proxy configuration: one upstream and one virtual
# host (server_name = the webapp's dnsName) per webapp, and a catch-all
# server with an error page for names nothing serves, so a request for an
# undeployed webapp never lands on another one. Webapps on this machine come
# as instances (with port and dnsName); remoteWebapps are Disnix
# inter-dependencies, reached by their target's hostname. Shared by the
# agnostic constructor and the sysvinit-specific example.
{ lib, writeTextFile, runtimeDir, stateDir, cacheDir, forceDisableUserChange }:

{ instanceName, port, webapps ? [], remoteWebapps ? [], workerConnections ? 190000 }:

let
  user = instanceName;
  group = instanceName;

  nginxStateDir = "${stateDir}/${instanceName}";
  nginxLogDir = "${nginxStateDir}/logs";
  nginxCacheDir = "${cacheDir}/${instanceName}";

  # The http section: its settings, then one block per upstream and server.
  httpBlocks = [ ''
    access_log ${nginxLogDir}/access.log;
    error_log ${nginxLogDir}/error.log;

    client_body_temp_path ${nginxCacheDir}/client_body;
    proxy_temp_path ${nginxCacheDir}/proxy;
    fastcgi_temp_path ${nginxCacheDir}/fastcgi;
    uwsgi_temp_path ${nginxCacheDir}/uwsgi;
    scgi_temp_path ${nginxCacheDir}/scgi;
  '' ]
  ++ map (upstream "127.0.0.1") webapps
  ++ map (webapp: upstream webapp.target.properties.hostname webapp) remoteWebapps
  ++ [ ''
    # Names no webapp serves get the error page, with status 404.
    server {
      listen ${toString port} default_server;
      server_name _;
      root ${./errorpage};
      default_type text/html;
      error_page 404 /index.html;

      location / {
        return 404;
      }

      location = /index.html {
        internal;
      }
    }
  '' ]
  ++ map virtualHost (webapps ++ remoteWebapps);

  upstream = host: webapp: ''
    upstream webapp${toString webapp.port} {
      server ${host}:${toString webapp.port};
    }
  '';

  virtualHost = webapp: ''
    server {
      listen ${toString port};
      server_name ${webapp.dnsName};

      location / {
        proxy_pass http://webapp${toString webapp.port};
        proxy_set_header Host $host;
      }
    }
  '';

  # Two more spaces before every non-empty line of a newline-terminated text.
  indent = text: lib.concatMapStrings (line: if line == "" then "\n" else "  ${line}\n")
    (lib.init (lib.splitString "\n" text));

  configFile = writeTextFile {
    name = "${instanceName}.conf";
    text = ''
      pid ${runtimeDir}/${instanceName}.pid;
      error_log ${nginxLogDir}/error.log;
    '' + lib.optionalString (!forceDisableUserChange) ''
      user ${user} ${group};
    '' + ''

      events {
        worker_connections ${toString workerConnections};
      }

      http {
    '' + indent (lib.concatStringsSep "\n" httpBlocks) + ''
      }
    '';
  };
in
configFile
