# What our sysvinit scripts run with besides bash: grep, coreutils and the
# daemon command that daemonizes foreground processes (they find it on PATH).
{ pkgs, common, input, result }:

result // {
  contents = result.contents or [] ++ [ pkgs.sysvinit pkgs.gnugrep pkgs.coreutils pkgs.daemon ];
}
