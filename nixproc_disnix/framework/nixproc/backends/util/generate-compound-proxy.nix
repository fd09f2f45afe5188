# A container's main process for managers that start their processes and
# return (sysvinit, disnix): it runs startCommand, then idles until docker
# stop (TERM) or an interrupt (INT), runs stopCommand and exits 0. The bin
# directories of `path` come first on PATH (an empty `path` leaves PATH
# alone: no empty entry, which would search the working directory). The handler is in place before
# startCommand runs: a stop that arrives while the processes start waits for
# startCommand to finish, then stops them, instead of killing this script and
# leaving them behind.
{ stdenv, lib, writeTextFile }:
{ startCommand, stopCommand, path ? [] }:

writeTextFile {
  name = "compound-proxy-script";
  executable = true;
  text = ''
    #! ${stdenv.shell} -e
    ${lib.optionalString (path != [ ]) ''
      export PATH=${lib.escapeShellArg (lib.concatMapStringsSep ":" (package: "${package}/bin") path)}''${PATH:+:$PATH}
    ''}
    stop() {
        echo ${lib.escapeShellArg stopCommand}
        ${stopCommand}
        kill $(jobs -p) 2> /dev/null || true
        exit 0
    }
    trap stop TERM INT

    ${startCommand}

    # wait returns on a trapped signal, so the handler runs as soon as one arrives;
    # the idler holds none of the container's output open.
    tail -f /dev/null < /dev/null > /dev/null 2>&1 &
    wait
  '';
}
