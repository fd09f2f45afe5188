# supervisord is the container's main process, in the foreground, reading
# /etc/supervisor/supervisord.conf.
{ pkgs, common, input, result }:

let
  supervisor = pkgs.python3Packages.supervisor;
in
result // {
  contents = result.contents or [] ++ [ supervisor ];

  config = result.config or {} // {
    Cmd = [
      "${supervisor}/bin/supervisord" "--nodaemon"
      "--configuration" "/etc/supervisor/supervisord.conf"
      "--logfile" "/var/log/supervisord.log"
      "--pidfile" "/var/run/supervisord.pid"
    ];
  };
}
