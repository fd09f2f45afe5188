# s6-rc starts from a database of no services, which nixproc-s6-rc-switch
# replaces.
{ pkgs, common, input, result }:

result // {
  extraCommands = result.extraCommands or "" + ''
    mkdir -p etc/s6/sv etc/s6/rc
    ${pkgs.s6-rc}/bin/s6-rc-compile etc/s6/rc/compiled etc/s6/sv
  '';
}
