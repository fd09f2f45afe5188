/* A nixpkgs-compatible `lib` (the functions of nixpkgs 22.05, the Nix 2.8
   era) for processes models, process constructors and Disnix models.

   `import <nixpkgs/lib>` resolves to this file when no nixpkgs is on the
   search path.  It covers trivial, fixed-points, attrsets, lists, strings,
   versions, customisation, asserts, debug and generators, and re-exports the
   builtins nixpkgs re-exports.  It has no `systems`, no `types`, `options`,
   `licenses` or `maintainers`, and no module system: `modules` holds only the
   definition markers (mkIf, mkForce, ...), not evalModules.

   As in nixpkgs, every file is a function of { lib } and `lib.extend`
   adds an overlay. */
let
  inherit (import ./fixed-points.nix { }) makeExtensible;

  lib = makeExtensible (self:
    let callLibs = file: import file { lib = self; }; in
    {
      trivial = callLibs ./trivial.nix;
      fixedPoints = callLibs ./fixed-points.nix;
      attrsets = callLibs ./attrsets.nix;
      lists = callLibs ./lists.nix;
      strings = callLibs ./strings.nix;
      versions = callLibs ./versions.nix;
      customisation = callLibs ./customisation.nix;
      asserts = callLibs ./asserts.nix;
      debug = callLibs ./debug.nix;
      generators = callLibs ./generators.nix;
      modules = callLibs ./modules.nix;

      inherit (builtins) add addErrorContext attrNames concatLists deepSeq elem elemAt filter
        genericClosure genList getAttr hasAttr head isAttrs isBool isInt isList isString length
        lessThan listToAttrs pathExists readFile replaceStrings seq stringLength sub substring
        tail trace;

      inherit (self.trivial) id const pipe concat or and bitAnd bitOr bitXor bitNot boolToString
        mergeAttrs flip mapNullable inNixShell isFloat min max importJSON importTOML warn warnIf warnIfNot
        throwIf throwIfNot checkListOfEnum info showWarnings version isInOldestRelease mod compare
        splitByAndCompare functionArgs setFunctionArgs isFunction toFunction toHexString
        toBaseDigits;

      inherit (self.fixedPoints) fix fix' converge extends composeExtensions composeManyExtensions
        makeExtensible makeExtensibleWithCustomName;

      inherit (self.attrsets) attrByPath hasAttrByPath setAttrByPath getAttrFromPath attrVals
        attrValues getAttrs catAttrs filterAttrs filterAttrsRecursive foldAttrs collect
        nameValuePair mapAttrs mapAttrs' mapAttrsToList mapAttrsRecursive mapAttrsRecursiveCond
        genAttrs isDerivation toDerivation optionalAttrs zipAttrsWithNames zipAttrsWith zipAttrs
        recursiveUpdateUntil recursiveUpdate matchAttrs overrideExisting showAttrPath getOutput
        getBin getLib getDev getMan chooseDevOutputs recurseIntoAttrs dontRecurseIntoAttrs
        cartesianProductOfSets updateManyAttrsByPath;

      inherit (self.lists) singleton forEach foldr fold foldl foldl' imap0 imap1 imap concatMap
        flatten remove findSingle findFirst any all count optional optionals toList range
        partition zipListsWith zipLists reverseList listDfs toposort sort naturalSort compareLists
        take drop sublist last init crossLists unique intersectLists subtractLists
        mutuallyExclusive groupBy groupBy';

      inherit (self.strings) concatStrings concatMapStrings concatImapStrings intersperse
        concatStringsSep concatMapStringsSep concatImapStringsSep makeSearchPath
        makeSearchPathOutput makeLibraryPath makeBinPath optionalString hasInfix hasPrefix
        hasSuffix stringToCharacters stringAsChars escape escapeShellArg escapeShellArgs
        isValidPosixName toShellVar toShellVars escapeNixString escapeNixIdentifier escapeRegex
        escapeXML replaceChars lowerChars upperChars toLower toUpper addContextFrom splitString
        removePrefix removeSuffix versionOlder versionAtLeast getName getVersion nameFromURL
        enableFeature enableFeatureAs withFeature withFeatureAs fixedWidthString
        fixedWidthNumber isStorePath toInt readPathsFromFile fileContents floatToString
        isCoercibleToString normalizePath sanitizeDerivationName match split;

      inherit (self.versions) splitVersion;

      inherit (self.customisation) overrideDerivation makeOverridable callPackageWith
        callPackagesWith extendDerivation hydraJob makeScope;

      inherit (self.asserts) assertMsg assertOneOf;

      inherit (self.debug) traceIf traceVal traceValFn traceSeq traceValSeq traceValSeqFn;

      inherit (self.modules) mkIf mkAssert mkMerge mkOverride mkOptionDefault mkDefault
        mkImageMediaOverride mkForce mkVMOverride mkOrder mkBefore mkAfter;
    });
in
lib
