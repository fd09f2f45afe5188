# A process's generated configuration as a derivation. The files were
# computed at evaluation time; the `builtin:nixproc-files` builder writes
# them and runs postInstall. `context` carries the store paths the files
# mention, so whatever depends on this output also builds and keeps them.
{ name, files, postInstall ? "", passthru ? {}, context ? "" }:

let
  drv = derivation {
    inherit name files postInstall;
    system = builtins.currentSystem;
    builder = "builtin:nixproc-files";
  };
in
drv // passthru // { outPath = drv.outPath + context; }
