# Render Nix values as configuration file text (key=value, INI, JSON, YAML)
# or as Nix-like text for messages (toPretty).
{ lib }:
let
  inherit (builtins) isInt isFloat isString isList isAttrs isFunction typeOf concatStringsSep filter length;
  inherit (lib.strings) escape concatMapStringsSep escapeNixIdentifier;
  inherit (lib.attrsets) mapAttrsToList;
in
rec {
  # A scalar as text; lists, sets and functions are refused.
  mkValueStringDefault = { }: v:
    let refuse = what: abort "generators.mkValueStringDefault: ${what} not supported: ${toPretty { } v}"; in
    if isInt v then toString v
    else if isFloat v then lib.strings.floatToString v
    else if isString v then v
    else if v == true then "true"
    else if v == false then "false"
    else if v == null then "null"
    else if isList v then refuse "lists"
    else if isAttrs v then refuse "attrsets"
    else if isFunction v then refuse "functions"
    else abort "generators.mkValueStringDefault: this value is not supported: ${toPretty { } (toString v)}";

  # "key<sep>value", with sep escaped in the key.
  mkKeyValueDefault = { mkValueString ? mkValueStringDefault { } }: sep: k: v:
    "${escape [ sep ] k}${sep}${mkValueString v}";

  # One "key=value" line per attribute (one per list element with listsAsDuplicateKeys).
  toKeyValue = { mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
    let
      line = k: v: mkKeyValue k v + "\n";
      lines =
        if listsAsDuplicateKeys
        then k: v: map (line k) (if isList v then v else [ v ])
        else k: v: [ (line k v) ];
    in
    attrs: lib.strings.concatStrings (builtins.concatLists (mapAttrsToList lines attrs));

  # An INI file from a set of sections, each a set of keys.
  toINI = { mkSectionName ? (name: escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
    attrsOfAttrs:
    let
      section = name: values:
        "[${mkSectionName name}]\n" + toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } values;
    in
    concatStringsSep "\n" (mapAttrsToList section attrsOfAttrs);

  toJSON = { }: builtins.toJSON;
  # JSON is a subset of YAML.
  toYAML = { }: builtins.toJSON;

  # Nix-like text for a value, for error messages and docs.
  toPretty = { allowPrettyValues ? false, multiline ? true, indent ? "" }:
    let
      go = indent: v:
        let
          open = if multiline then "\n${indent}  " else " ";
          close = if multiline then "\n${indent}" else " ";
        in
        if isInt v then toString v
        else if isFloat v then "~${toString v}"
        else if isString v then
          let
            lines = filter (l: !isList l) (builtins.split "\n" v);
            oneLine = "\"" + concatMapStringsSep "\\n" (escape [ "\\" "\"" "\${" ]) lines + "\"";
            escaped = map (builtins.replaceStrings [ "\${" "''" ] [ "''\${" "'''" ]) lines;
            lastLine = lib.lists.last escaped;
            # An empty last line puts the closing '' on its own line at the outer indentation.
            manyLines = "''" + open + concatStringsSep open (lib.lists.init escaped)
              + (if lastLine == "" then close else open + lastLine) + "''";
          in
          if multiline && length lines > 1 then manyLines else oneLine
        else if v == true then "true"
        else if v == false then "false"
        else if v == null then "null"
        else if typeOf v == "path" then toString v
        else if isList v then
          if v == [ ] then "[ ]"
          else "[" + open + concatMapStringsSep open (go (indent + "  ")) v + close + "]"
        else if isFunction v then
          let
            args = lib.trivial.functionArgs v;
            shown = concatStringsSep ", " (mapAttrsToList (name: hasDefault: if hasDefault then name + "?" else name) args);
          in
          if args == { } then "<function>" else "<function, args: {${shown}}>"
        else if isAttrs v then
          if allowPrettyValues && v ? __pretty && v ? val then v.__pretty v.val
          else if v == { } then "{ }"
          else if v ? type && v.type == "derivation" then "<derivation ${v.drvPath or "???"}>"
          else "{" + open
            + concatStringsSep open (mapAttrsToList
              (name: value: "${escapeNixIdentifier name} = ${
                builtins.addErrorContext "while evaluating an attribute `${name}`" (go (indent + "  ") value)};")
              v)
            + close + "}"
        else abort "generators.toPretty: should never happen (v = ${v})";
    in
    go indent;
}
