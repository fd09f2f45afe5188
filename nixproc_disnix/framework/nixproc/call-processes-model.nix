# Calls a processes model as upstream's builders do: with the arguments the
# caller was given (not the builder's defaults, so a directory nobody passed
# falls back to the model's own default), the process manager and
# extraParams on top, keeping only what the model declares. A null exprFile
# is the empty system.
{ processManager, exprFile, args, extraParams ? {} }:

let
  processesFun = import exprFile;
in
if exprFile == null then {}
else processesFun (builtins.intersectAttrs (builtins.functionArgs processesFun)
  (args // { inherit processManager; } // extraParams))
