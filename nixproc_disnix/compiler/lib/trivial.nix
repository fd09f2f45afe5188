# Small helpers on values and functions, plus the lib version.
{ lib }:
let
  inherit (builtins) trace getEnv elem;
  # ANSI red, as nixpkgs prints its warnings.
  esc = builtins.fromJSON ''"\u001b"'';
  warnTrace = msg: trace "${esc}[1;31mwarning: ${msg}${esc}[0m";
in
rec {
  id = x: x;
  const = x: _: x;
  flip = f: a: b: f b a;
  # Feed val through the functions left to right.
  pipe = val: fns: builtins.foldl' (acc: f: f acc) val fns;
  concat = x: y: x ++ y;
  or = x: y: x || y;
  and = x: y: x && y;

  inherit (builtins) bitAnd bitOr bitXor;
  bitNot = builtins.sub (-1);

  boolToString = b: if b then "true" else "false";
  mergeAttrs = x: y: x // y;
  mapNullable = f: a: if a == null then a else f a;

  inherit (builtins) pathExists readFile isBool isInt isFloat add sub lessThan seq deepSeq genericClosure;

  # The nixpkgs release this lib corresponds to (the Nix 2.8 era).
  release = "22.05";
  codeName = "Quokka";
  versionSuffix = "pre-git";
  version = release + versionSuffix;
  revisionWithDefault = default: default;
  oldestSupportedRelease = 2111;
  isInOldestRelease = releaseVersion: releaseVersion <= oldestSupportedRelease;

  # Evaluation here is never inside nix-shell: models must not depend on the caller's shell.
  inNixShell = false;

  min = x: y: if x < y then x else y;
  max = x: y: if x > y then x else y;
  # Remainder with the sign of base, as C's %.
  mod = base: int: base - (int * (builtins.div base int));
  compare = a: b: if a < b then -1 else if a > b then 1 else 0;

  # Order values satisfying p before the others; compare within each group by yes or no.
  splitByAndCompare = p: yes: no: a: b:
    if p a
    then (if p b then yes a b else -1)
    else (if p b then 1 else no a b);

  importJSON = path: builtins.fromJSON (builtins.readFile path);
  importTOML = path: builtins.fromTOML (builtins.readFile path);

  # NIX_ABORT_ON_WARN turns warnings into errors, as in nixpkgs.
  warn =
    if elem (getEnv "NIX_ABORT_ON_WARN") [ "1" "true" "yes" ]
    then msg: warnTrace msg (abort "NIX_ABORT_ON_WARN=true; warnings are treated as unrecoverable errors.")
    else warnTrace;
  warnIf = cond: msg: if cond then warn msg else id;
  warnIfNot = cond: msg: if cond then id else warn msg;
  throwIf = cond: msg: if cond then throw msg else id;
  throwIfNot = cond: msg: if cond then id else throw msg;
  info = msg: trace "INFO: ${msg}";
  showWarnings = warnings: res: lib.foldr (w: x: warn w x) res warnings;

  # Fail unless every element of given is in valid.
  checkListOfEnum = msg: valid: given:
    let
      unexpected = lib.subtractLists valid given;
      show = xs: builtins.concatStringsSep ", " (map toString xs);
    in
    throwIfNot (unexpected == [ ])
      "${msg}: ${show unexpected} unexpected; valid ones: ${show valid}";

  # Functors can carry the argument set their wrapped function takes.
  setFunctionArgs = f: args: { __functor = self: f; __functionArgs = args; };
  functionArgs = f:
    if f ? __functor
    then f.__functionArgs or (functionArgs (f.__functor f))
    else builtins.functionArgs f;
  isFunction = f: builtins.isFunction f || (f ? __functor && isFunction (f.__functor f));
  toFunction = v: if isFunction v then v else _: v;

  # Digits of i in base, most significant first.
  toBaseDigits = base: i:
    let
      go = n:
        if n < base then [ n ]
        else
          let rest = n - (n / base) * base; in
          [ rest ] ++ go ((n - rest) / base);
    in
    assert base >= 2;
    assert i >= 0;
    lib.reverseList (go i);

  toHexString = i:
    let hexDigit = d: if d < 10 then toString d else builtins.elemAt [ "A" "B" "C" "D" "E" "F" ] (d - 10); in
    lib.concatMapStrings hexDigit (toBaseDigits 16 i);
}
