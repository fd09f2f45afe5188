# /etc/rc.d is the deployed profile's (nixproc-sysvinit-switch keeps it
# beside the store: <store root>/profiles/processes); the container's main
# process starts runlevel 3 of whatever is deployed and stops it on docker
# stop, with nixproc-sysvinit-runactivity.
{ pkgs, common, input, result }:

let
  tools = (import ../../../../tools { inherit pkgs; inherit (common) system; }).sysvinit;

  profile = "${dirOf builtins.storeDir}/profiles/processes";

  activity = arguments: ''
    if [ -e ${profile} ]; then ${tools}/bin/nixproc-sysvinit-runactivity --runlevel 3 ${arguments} ${profile}; fi
  '';

  proxy = import ../../util/generate-compound-proxy.nix { inherit (pkgs) stdenv lib writeTextFile; } {
    path = [ pkgs.coreutils pkgs.daemon ];
    startCommand = activity "start";
    stopCommand = activity "-r stop";
  };
in
result // {
  extraCommands = result.extraCommands or "" + ''
    ln -s ${profile}/etc/rc.d etc/rc.d
  '';

  config = result.config or {} // {
    Cmd = [ "${proxy}" ];
  };
}
