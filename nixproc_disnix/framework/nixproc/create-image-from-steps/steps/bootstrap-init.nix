# Unless bootstrap = false: the container's first start deploys the
# processes model with nixproc-<processManager>-switch in the background
# (retrying while the process manager itself is still starting) and starts
# the process manager; /bin/bootstrap then replaces itself by the manager's
# command alone, so a restarted container resumes its last deployment.
{ pkgs, common, input, result }:

let
  command = pkgs.lib.escapeShellArgs result.config.Cmd;

  bootstrap = pkgs.writeTextFile {
    name = "bootstrap";
    executable = true;
    text = ''
      #! ${pkgs.stdenv.shell} -e
      (
          for attempt in 1 2 3 4 5; do
              if nixproc-${input.processManager}-switch; then break; fi
              sleep 2
          done
      ) &
      printf '#! %s -e\nexec %s\n' ${pkgs.stdenv.shell} ${pkgs.lib.escapeShellArg command} > /bin/bootstrap
      exec ${command}
    '';
  };
in
result // pkgs.lib.optionalAttrs (input.bootstrap or true) {
  extraCommands = result.extraCommands or "" + ''
    mkdir -p bin
    cp ${bootstrap} bin/bootstrap
    chmod 755 bin/bootstrap
  '';

  config = result.config or {} // {
    Cmd = [ "/bin/bootstrap" ];
  };
}
