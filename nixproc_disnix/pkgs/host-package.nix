/* A package made of the host's files: one symbolic link per line of
   `links` ("<path in $out> <host path>"), as the host resolver found them
   (nixproc_disnix/pkgs/host.py).  The builder gets no PATH, so the host's
   `mkdir` and `ln` come by absolute path. */
{ name, system, links, mkdir, ln }:

derivation {
  inherit name system links mkdir ln;
  builder = "/bin/sh";
  args = [ "-c" ''
    set -eu
    "$mkdir" "$out"
    while read -r path target; do
      [ -n "$path" ] || continue
      case $path in */*) "$mkdir" -p "$out/''${path%/*}" ;; esac
      "$ln" -s "$target" "$out/$path"
    done <<EOF
    $links
    EOF
  '' ];
}
