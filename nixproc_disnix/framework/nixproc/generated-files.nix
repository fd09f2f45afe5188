# A process's generated configuration as a derivation. The files were
# computed at evaluation time; the `builtin:nixproc-files` builder writes
# them and runs postInstall. `context` carries the store paths the files
# mention, so whatever depends on this output also builds and keeps them.
# `image`, if given, is an image the builder then builds into the output
# (the docker backend's); without it the attribute is left out.
{ name, files, postInstall ? "", image ? null, passthru ? {}, context ? "" }:

let
  drv = derivation ({
    inherit name files postInstall;
    system = builtins.currentSystem;
    builder = "builtin:nixproc-files";
  } // (if image == null then {} else { inherit image; }));
in
drv // passthru // { outPath = drv.outPath + context; }
