# Attribute set functions.  Builtins are re-exported where nixpkgs does so.
{ lib }:
let
  inherit (builtins) head tail length elemAt concatMap;
  inherit (lib.lists) foldr;
in
rec {
  inherit (builtins) attrNames listToAttrs hasAttr isAttrs getAttr removeAttrs intersectAttrs
    attrValues catAttrs mapAttrs;

  # The value at attrPath in e, or default if some name on the way is missing.
  attrByPath = attrPath: default: e:
    if attrPath == [ ] then e
    else
      let name = head attrPath; in
      if e ? ${name} then attrByPath (tail attrPath) default e.${name} else default;

  hasAttrByPath = attrPath: e:
    if attrPath == [ ] then true
    else
      let name = head attrPath; in
      e ? ${name} && hasAttrByPath (tail attrPath) e.${name};

  # Nested sets holding value at attrPath.
  setAttrByPath = attrPath: value:
    let
      len = length attrPath;
      at = n: if n == len then value else { ${elemAt attrPath n} = at (n + 1); };
    in
    at 0;

  getAttrFromPath = attrPath: set:
    attrByPath attrPath (abort "cannot find attribute `${builtins.concatStringsSep "." attrPath}'") set;

  attrVals = names: set: map (name: set.${name}) names;
  getAttrs = names: attrs: genAttrs names (name: attrs.${name});

  filterAttrs = pred: set:
    listToAttrs (concatMap
      (name: let v = set.${name}; in if pred name v then [ (nameValuePair name v) ] else [ ])
      (attrNames set));

  # filterAttrs, also applied inside every kept attribute set value.
  filterAttrsRecursive = pred: set:
    listToAttrs (concatMap
      (name:
        let v = set.${name}; in
        if pred name v
        then [ (nameValuePair name (if isAttrs v then filterAttrsRecursive pred v else v)) ]
        else [ ])
      (attrNames set));

  # Fold the values of each name across a list of sets, from the right.
  foldAttrs = op: nul: list:
    foldr
      (set: acc: foldr (name: o: o // { ${name} = op set.${name} (acc.${name} or nul); }) acc (attrNames set))
      { }
      list;

  # Every value (recursing through sets) that satisfies pred.
  collect = pred: attrs:
    if pred attrs then [ attrs ]
    else if isAttrs attrs then concatMap (collect pred) (builtins.attrValues attrs)
    else [ ];

  # Every set picking one element from each list attribute.
  cartesianProductOfSets = attrsOfLists:
    builtins.foldl'
      (sets: name: concatMap (set: map (v: set // { ${name} = v; }) attrsOfLists.${name}) sets)
      [ { } ]
      (attrNames attrsOfLists);

  nameValuePair = name: value: { inherit name value; };

  # f returns a nameValuePair, so names can change too.
  mapAttrs' = f: set: listToAttrs (map (name: f name set.${name}) (attrNames set));
  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (attrNames attrs);

  mapAttrsRecursive = mapAttrsRecursiveCond (_: true);
  # Map the leaves (non-sets, or sets where cond is false) with f path value.
  mapAttrsRecursiveCond = cond: f: set:
    let
      go = path: builtins.mapAttrs (name: value:
        if isAttrs value && cond value
        then go (path ++ [ name ]) value
        else f (path ++ [ name ]) value);
    in
    go [ ] set;

  genAttrs = names: f: listToAttrs (map (name: nameValuePair name (f name)) names);

  isDerivation = x: x.type or null == "derivation";

  # A derivation-like set for an existing store path.
  toDerivation = path:
    let
      storePath = builtins.storePath path;
      drv = {
        type = "derivation";
        name = lib.strings.sanitizeDerivationName (builtins.substring 33 (-1) (baseNameOf storePath));
        outPath = storePath;
        outputs = [ "out" ];
        out = drv;
        outputName = "out";
      };
    in
    drv;

  optionalAttrs = cond: as: if cond then as else { };

  zipAttrsWithNames = names: f: sets:
    listToAttrs (map (name: { inherit name; value = f name (catAttrs name sets); }) names);
  zipAttrsWith = builtins.zipAttrsWith;
  zipAttrs = zipAttrsWith (_: values: values);

  # Merge rhs into lhs, recursing until pred path lhsValue rhsValue holds.
  recursiveUpdateUntil = pred: lhs: rhs:
    let
      merge = path: zipAttrsWith (name: values:
        let here = path ++ [ name ]; in
        if length values == 1 || pred here (elemAt values 1) (head values)
        then head values
        else merge here values);
    in
    merge [ ] [ rhs lhs ];

  recursiveUpdate = recursiveUpdateUntil (_: lhs: rhs: !(isAttrs lhs && isAttrs rhs));

  # Does attrs contain pattern (recursively for set-valued pattern entries)?
  matchAttrs = pattern: attrs:
    assert isAttrs pattern;
    builtins.all (name:
      let pat = pattern.${name}; in
      attrs ? ${name} && (
        if isAttrs pat
        then isAttrs attrs.${name} && matchAttrs pat attrs.${name}
        else pat == attrs.${name}))
      (attrNames pattern);

  # Replace only the attributes of old that new also has.
  overrideExisting = old: new: builtins.mapAttrs (name: value: new.${name} or value) old;

  showAttrPath = path:
    if path == [ ] then "<root attribute path>"
    else builtins.concatStringsSep "." (map lib.strings.escapeNixIdentifier path);

  # pkg's given output, unless a particular output was already chosen.
  getOutput = output: pkg:
    if !(pkg ? outputSpecified) || !pkg.outputSpecified
    then pkg.${output} or pkg.out or pkg
    else pkg;
  getBin = getOutput "bin";
  getLib = getOutput "lib";
  getDev = getOutput "dev";
  getMan = getOutput "man";
  chooseDevOutputs = map getDev;

  # Apply a list of { path; update = old: new; } edits to value: deeper paths
  # first, edits of the same path in list order.  Missing intermediate sets are
  # created; an edit of a missing path fails only if it reads the old value.
  updateManyAttrsByPath =
    let
      go = depth: hasValue: value: updates:
        let
          split = builtins.partition (u: length u.path == depth) updates;
          nested = builtins.groupBy (u: elemAt u.path depth) split.wrong;
          withNested =
            if split.wrong == [ ] then
              (if hasValue then value
               else throw "updateManyAttrsByPath: path '${showAttrPath (head updates).path}' does not exist in the given value, but its first update reads the old value")
            else if hasValue && !isAttrs value then
              throw "updateManyAttrsByPath: cannot update below path '${showAttrPath (lib.lists.take depth (head split.wrong).path)}': it is not an attribute set in the given value"
            else
              let existing = if hasValue then value else { }; in
              existing // builtins.mapAttrs (name: go (depth + 1) (existing ? ${name}) (existing.${name} or null)) nested;
        in
        # Lazy fold: a later update that ignores its old value skips the earlier ones.
        lib.lists.foldl (acc: u: u.update acc) withNested split.right;
    in
    updates: value: go 0 true value updates;

  recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };
  dontRecurseIntoAttrs = attrs: attrs // { recurseForDerivations = false; };
}
