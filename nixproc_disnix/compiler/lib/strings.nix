# String functions.  Builtins are re-exported where nixpkgs does so.
{ lib }:
let
  inherit (builtins) length isAttrs genList;
in
rec {
  inherit (builtins) compareVersions concatStringsSep elem elemAt filter fromJSON head isInt isList
    isString match parseDrvName readFile replaceStrings split storeDir stringLength substring tail
    toJSON typeOf unsafeDiscardStringContext;

  concatStrings = concatStringsSep "";
  concatMapStrings = f: list: concatStrings (map f list);
  concatImapStrings = f: list: concatStrings (lib.lists.imap1 f list);
  concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
  concatImapStringsSep = sep: f: list: concatStringsSep sep (lib.lists.imap1 f list);

  # separator between consecutive elements.
  intersperse = separator: list:
    if length list < 2 then list
    else tail (builtins.concatMap (x: [ separator x ]) list);

  # "p1/subDir:p2/subDir", skipping null paths.
  makeSearchPath = subDir: paths:
    concatStringsSep ":" (map (path: path + "/" + subDir) (filter (x: x != null) paths));
  makeSearchPathOutput = output: subDir: pkgs: makeSearchPath subDir (map (lib.attrsets.getOutput output) pkgs);
  makeLibraryPath = makeSearchPathOutput "lib" "lib";
  makeBinPath = makeSearchPathOutput "bin" "bin";

  # Collapse runs of "/" into one.
  normalizePath = s:
    builtins.foldl' (acc: c: if c == "/" && hasSuffix "/" acc then acc else acc + c) "" (stringToCharacters s);

  optionalString = cond: string: if cond then string else "";

  hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;
  hasSuffix = suffix: content:
    let
      lenContent = stringLength content;
      lenSuffix = stringLength suffix;
    in
    lenContent >= lenSuffix && substring (lenContent - lenSuffix) lenContent content == suffix;
  hasInfix = infix: content:
    match ".*${escapeRegex infix}.*" "${content}" != null;

  stringToCharacters = s: genList (p: substring p 1 s) (stringLength s);
  stringAsChars = f: s: concatStrings (map f (stringToCharacters s));

  # Backslash-escape each character in list.
  escape = list: replaceStrings list (map (c: "\\${c}") list);

  escapeShellArg = arg: "'${replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
  escapeShellArgs = concatMapStringsSep " " escapeShellArg;

  isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;

  # A bash assignment: scalars, indexed arrays from lists, associative arrays from sets.
  toShellVar = name: value:
    lib.trivial.throwIfNot (isValidPosixName name) "toShellVar: ${name} is not a valid shell variable name" (
      if isAttrs value && !isCoercibleToString value then
        "declare -A ${name}=(${concatStringsSep " " (lib.attrsets.mapAttrsToList (n: v: "[${escapeShellArg n}]=${escapeShellArg v}") value)})"
      else if isList value then
        "declare -a ${name}=(${escapeShellArgs value})"
      else
        "${name}=${escapeShellArg value}");
  toShellVars = vars: concatStringsSep "\n" (lib.attrsets.mapAttrsToList toShellVar vars);

  # A Nix string literal denoting s.
  escapeNixString = s: escape [ "$" ] (builtins.toJSON s);
  escapeRegex = escape (stringToCharacters "\\[{()^$?*+|.");
  # s as an attribute name: bare when it is an identifier, else quoted.
  escapeNixIdentifier = s:
    if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null then s else escapeNixString s;
  escapeXML = replaceStrings [ "\"" "'" "<" ">" "&" ] [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];

  replaceChars = replaceStrings;
  lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
  upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  toLower = replaceChars upperChars lowerChars;
  toUpper = replaceChars lowerChars upperChars;

  # b with a's string context added.
  addContextFrom = a: b: substring 0 0 a + b;

  # Split on a literal separator; builtins.split drops context, so put s's back.
  splitString = sep: s:
    map (addContextFrom s) (filter isString (split (escapeRegex (toString sep)) (toString s)));

  removePrefix = prefix: str:
    let
      preLen = stringLength prefix;
      sLen = stringLength str;
    in
    if hasPrefix prefix str then substring preLen (sLen - preLen) str else str;
  removeSuffix = suffix: str:
    let
      sufLen = stringLength suffix;
      sLen = stringLength str;
    in
    if sufLen <= sLen && suffix == substring (sLen - sufLen) sufLen str
    then substring 0 (sLen - sufLen) str
    else str;

  versionOlder = v1: v2: compareVersions v2 v1 == 1;
  versionAtLeast = v1: v2: !versionOlder v1 v2;

  # Name and version of a derivation or of a "name-version" string.
  getName = x:
    if isString x then (parseDrvName x).name else x.pname or (parseDrvName x.name).name;
  getVersion = x:
    if isString x then (parseDrvName x).version else x.version or (parseDrvName x.name).version;

  # The last path component of url, up to the first sep.
  nameFromURL = url: sep:
    let
      filename = lib.lists.last (splitString "/" url);
      name = head (splitString sep filename);
    in
    assert name != filename; name;

  enableFeature = enable: feat:
    assert isString feat;
    "--${if enable then "enable" else "disable"}-${feat}";
  enableFeatureAs = enable: feat: value: enableFeature enable feat + optionalString enable "=${value}";
  withFeature = with_: feat:
    assert isString feat;
    "--${if with_ then "with" else "without"}-${feat}";
  withFeatureAs = with_: feat: value: withFeature with_ feat + optionalString with_ "=${value}";

  # str left-padded with filler to width characters.
  fixedWidthString = width: filler: str:
    let strw = stringLength str; in
    assert lib.asserts.assertMsg (strw <= width)
      "fixedWidthString: requested string length (${toString width}) must not be shorter than actual length (${toString strw})";
    if strw == width then str else filler + fixedWidthString (width - stringLength filler) filler str;
  fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);

  # toString, warning when the result does not read back as the same float.
  floatToString = float:
    let
      result = toString float;
      precise = float == builtins.fromJSON result;
    in
    lib.trivial.warnIf (!precise) "Imprecise conversion from float to string ${result}" result;

  isCoercibleToString = x:
    elem (typeOf x) [ "path" "string" "null" "int" "float" "bool" ]
    || (isList x && builtins.all isCoercibleToString x)
    || x ? outPath
    || x ? __toString;

  # Is x a top-level store path (not a file inside one)?
  isStorePath = x:
    if !(isList x) && isCoercibleToString x then
      let str = toString x; in
      substring 0 1 str == "/" && dirOf str == builtins.storeDir
    else false;

  toInt = str:
    let value = builtins.fromJSON str; in
    if builtins.isInt value then value else throw "Could not convert ${str} to int.";

  readPathsFromFile = lib.trivial.warn "lib.readPathsFromFile is deprecated, use a list instead"
    (rootPath: file:
      let
        lines = splitString "\n" (builtins.readFile file);
        paths = filter (line: line != "" && !(hasPrefix "#" line)) lines;
      in
      map (path: rootPath + "/${path}") paths);

  # A file's contents without its final newline.
  fileContents = file: removeSuffix "\n" (builtins.readFile file);

  # string made acceptable as a derivation name: invalid runs become "-",
  # no leading dots, at most 207 characters, never empty.  The context is
  # dropped: the result is only used as a name.
  sanitizeDerivationName =
    let okRegex = match "[[:alnum:]+_?=-][[:alnum:]+._?=-]*"; in
    string:
    if stringLength string <= 207 && okRegex string != null then unsafeDiscardStringContext string
    else lib.trivial.pipe string [
      unsafeDiscardStringContext
      (x: elemAt (match "[.]*(.*)" x) 0)
      (split "[^[:alnum:]+._?=-]+")
      (map (s: if isList s then "-" else s))
      concatStrings
      (x: substring (lib.trivial.max (stringLength x - 207) 0) (-1) x)
      (x: if stringLength x == 0 then "unknown" else x)
    ];
}
