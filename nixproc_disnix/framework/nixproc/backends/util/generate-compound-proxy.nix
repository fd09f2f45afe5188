# A container's main process for managers that start their processes and
# return (sysvinit, disnix): it runs startCommand, then idles until docker
# stop (TERM) or an interrupt (INT), runs stopCommand and exits 0. The bin
# directories of `path` come first on PATH.
{ stdenv, lib, writeTextFile }:
{ startCommand, stopCommand, path ? [] }:

writeTextFile {
  name = "compound-proxy-script";
  executable = true;
  text = ''
    #! ${stdenv.shell} -e

    export PATH=${lib.escapeShellArg (lib.concatMapStringsSep ":" (package: "${package}/bin") path)}''${PATH:+:$PATH}

    stop() {
        echo ${lib.escapeShellArg stopCommand}
        ${stopCommand}
        kill "$idler"
        exit 0
    }

    ${startCommand}

    trap stop TERM INT
    # wait returns on a trapped signal, so the handler runs as soon as one arrives.
    tail -f /dev/null & idler=$!
    wait "$idler"
  '';
}
