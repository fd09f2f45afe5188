# `derivation`: the user-facing wrapper around derivationStrict. It adds the
# attributes every derivation value has (one attribute set per output, each
# with outPath, drvPath, outputName, type = "derivation", plus `all` and
# `drvAttrs`) and returns the first output's set.
drvAttrs @ { outputs ? [ "out" ], ... }:

let
  strict = derivationStrict drvAttrs;

  shared = drvAttrs // builtins.listToAttrs outputSets // {
    all = map (output: output.value) outputSets;
    inherit drvAttrs;
  };

  outputSet = outputName: {
    name = outputName;
    value = shared // {
      outPath = builtins.getAttr outputName strict;
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };

  outputSets = map outputSet outputs;
in
(builtins.head outputSets).value
