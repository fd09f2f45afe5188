# Overridable results and package scopes (callPackage and friends).
{ lib }:
rec {
  # A new derivation from drv's attributes as changed by f, keeping meta and passthru.
  overrideDerivation = drv: f:
    let newDrv = derivation (drv.drvAttrs // f drv); in
    extendDerivation (builtins.seq drv.drvPath true)
      ({ meta = drv.meta or { }; passthru = drv.passthru or { }; } // (drv.passthru or { }))
      newDrv;

  # f origArgs, plus `override` to call f again with changed arguments
  # (and overrideDerivation/overrideAttrs passed through to the result).
  makeOverridable = f: origArgs:
    let
      result = f origArgs;
      # A function with f's formal arguments, so callPackage still sees them.
      copyArgs = g: lib.trivial.setFunctionArgs g (lib.trivial.functionArgs f);
      overrideWith = newArgs: origArgs // (if lib.trivial.isFunction newArgs then newArgs origArgs else newArgs);
      overrideArgs = copyArgs (newArgs: makeOverridable f (overrideWith newArgs));
      overrideResult = g: makeOverridable (copyArgs (args: g (f args))) origArgs;
    in
    if builtins.isAttrs result then
      result // {
        override = overrideArgs;
        overrideDerivation = fdrv: overrideResult (x: overrideDerivation x fdrv);
        ${if result ? overrideAttrs then "overrideAttrs" else null} = fdrv: overrideResult (x: x.overrideAttrs fdrv);
      }
    else if lib.trivial.isFunction result then
      lib.trivial.setFunctionArgs result (lib.trivial.functionArgs result) // { override = overrideArgs; }
    else result;

  # Call fn (a function or a file) with the autoArgs it asks for, overridden by args.
  callPackageWith = autoArgs: fn: args:
    let
      f = if lib.trivial.isFunction fn then fn else import fn;
      auto = builtins.intersectAttrs (lib.trivial.functionArgs f) autoArgs;
    in
    makeOverridable f (auto // args);

  # Like callPackageWith for a function returning a set of packages: each is overridable alone.
  callPackagesWith = autoArgs: fn: args:
    let
      f = if lib.trivial.isFunction fn then fn else import fn;
      auto = builtins.intersectAttrs (lib.trivial.functionArgs f) autoArgs;
      origArgs = auto // args;
      pkgs = f origArgs;
      overridableAttr = name: _: makeOverridable (newArgs: (f newArgs).${name}) origArgs;
    in
    if lib.attrsets.isDerivation pkgs then
      throw ("function `callPackages` was called on a *single* derivation "
        + ''"${pkgs.name or "<unknown-name>"}";''
        + " did you mean to use `callPackage` instead?")
    else builtins.mapAttrs overridableAttr pkgs;

  # drv plus passthru, in every output; drvPath/outPath assert condition when used.
  extendDerivation = condition: passthru: drv:
    let
      outputs = drv.outputs or [ "out" ];
      commonAttrs = drv // builtins.listToAttrs outputsList // { all = map (x: x.value) outputsList; } // passthru;
      outputToAttr = outputName: {
        name = outputName;
        value = commonAttrs // {
          inherit (drv.${outputName}) type outputName;
          outputSpecified = true;
          drvPath = assert condition; drv.${outputName}.drvPath;
          outPath = assert condition; drv.${outputName}.outPath;
        };
      };
      outputsList = map outputToAttr outputs;
    in
    commonAttrs // {
      drvPath = assert condition; drv.drvPath;
      outPath = assert condition; drv.outPath;
    };

  # drv stripped to what Hydra needs, forced deeply so evaluation errors surface.
  hydraJob = drv:
    let
      outputs = drv.outputs or [ "out" ];
      commonAttrs = { inherit (drv) name system meta; inherit outputs; }
        // lib.attrsets.optionalAttrs (drv._hydraAggregate or false) {
          _hydraAggregate = true;
          constituents = map hydraJob (lib.lists.flatten drv.constituents);
        }
        // builtins.listToAttrs outputsList;
      makeOutput = outputName:
        let output = drv.${outputName}; in
        {
          name = outputName;
          value = commonAttrs // {
            outPath = output.outPath;
            drvPath = output.drvPath;
            type = "derivation";
            inherit outputName;
          };
        };
      outputsList = map makeOutput outputs;
      drv' = (builtins.head outputsList).value;
    in
    if drv == null then null else builtins.deepSeq drv' drv';

  # A package set whose callPackage sees the set itself (via newScope), overridable with overlays.
  makeScope = newScope: f:
    let
      self = f self // {
        newScope = scope: newScope (self // scope);
        callPackage = self.newScope { };
        overrideScope = g: lib.trivial.warn
          "`overrideScope` (from `lib.makeScope`) is deprecated: use `overrideScope'` with (self: super: { ... })."
          (makeScope newScope (lib.fixedPoints.extends (lib.trivial.flip g) f));
        overrideScope' = g: makeScope newScope (lib.fixedPoints.extends g f);
        packages = f;
      };
    in
    self;
}
