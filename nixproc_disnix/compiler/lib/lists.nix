# List functions.  Builtins are re-exported where nixpkgs does so.
{ lib }:
let
  inherit (lib.trivial) min compare;
in
rec {
  inherit (builtins) head tail length isList elemAt concatLists filter elem genList map
    foldl' concatMap any all partition sort;

  singleton = x: [ x ];
  forEach = xs: f: map f xs;

  # Right fold: op x0 (op x1 (... (op xn nul))).
  foldr = op: nul: list:
    let
      len = length list;
      go = n: if n == len then nul else op (elemAt list n) (go (n + 1));
    in
    go 0;
  fold = foldr;

  # Left fold: op (... (op (op nul x0) x1) ...) xn, lazy in the accumulator.
  foldl = op: nul: list:
    let go = n: if n == -1 then nul else op (go (n - 1)) (elemAt list n); in
    go (length list - 1);

  imap0 = f: list: genList (n: f n (elemAt list n)) (length list);
  imap1 = f: list: genList (n: f (n + 1) (elemAt list n)) (length list);
  # The historical name: one-based.
  imap = imap1;

  flatten = x: if isList x then concatMap flatten x else [ x ];
  remove = e: filter (x: x != e);

  findSingle = pred: default: multiple: list:
    let
      found = filter pred list;
      n = length found;
    in
    if n == 0 then default
    else if n != 1 then multiple
    else head found;

  findFirst = pred: default: list:
    let found = filter pred list; in
    if found == [ ] then default else head found;

  count = pred: foldl' (c: x: if pred x then c + 1 else c) 0;

  optional = cond: elem: if cond then [ elem ] else [ ];
  optionals = cond: elems: if cond then elems else [ ];
  toList = x: if isList x then x else [ x ];

  range = first: last:
    if first > last then [ ] else genList (n: first + n) (last - first + 1);

  groupBy = builtins.groupBy;
  # Group by pred, folding each group with op from nul.
  groupBy' = op: nul: pred: lst: builtins.mapAttrs (_: foldl op nul) (groupBy pred lst);

  zipListsWith = f: fst: snd:
    genList (n: f (elemAt fst n) (elemAt snd n)) (min (length fst) (length snd));
  zipLists = zipListsWith (fst: snd: { inherit fst snd; });

  reverseList = xs:
    let len = length xs; in
    genList (n: elemAt xs (len - n - 1)) len;

  # Depth-first search for an element that nothing else comes before;
  # with stopOnCycles, report a cycle instead of looping.
  listDfs = stopOnCycles: before: list:
    let
      go = us: visited: rest:
        let
          cyclic = filter (x: before x us) visited;
          split = builtins.partition (x: before x us) rest;
        in
        if stopOnCycles && cyclic != [ ] then
          { cycle = us; loops = cyclic; inherit visited rest; }
        else if split.right == [ ] then
          { minimal = us; inherit visited rest; }
        else
          go (head split.right) ([ us ] ++ visited) (tail split.right ++ split.wrong);
    in
    go (head list) [ ] (tail list);

  # Order list so that `before a b` implies a comes first:
  # { result = [...]; } or { cycle = [...]; loops = [...]; }.
  toposort = before: list:
    let
      dfs = listDfs true before list;
      sortedRest = toposort before (dfs.visited ++ dfs.rest);
    in
    if length list < 2 then { result = list; }
    else if dfs ? cycle then { cycle = reverseList ([ dfs.cycle ] ++ dfs.visited); inherit (dfs) loops; }
    else if sortedRest ? cycle then sortedRest
    else { result = [ dfs.minimal ] ++ sortedRest.result; };

  # Lexicographic comparison (-1, 0, 1) with cmp on elements.
  compareLists = cmp: a: b:
    if a == [ ] then (if b == [ ] then 0 else -1)
    else if b == [ ] then 1
    else
      let rel = cmp (head a) (head b); in
      if rel == 0 then compareLists cmp (tail a) (tail b) else rel;

  # Sort strings treating runs of digits as numbers.
  naturalSort = lst:
    let
      chunks = s: map (x: if isList x then lib.strings.toInt (head x) else x) (builtins.split "(0|[1-9][0-9]*)" s);
      keyed = map (s: [ (chunks s) s ]) lst;
      less = a: b: compareLists compare (head a) (head b) < 0;
    in
    map (x: elemAt x 1) (sort less keyed);

  sublist = start: count: list:
    let len = length list; in
    genList (n: elemAt list (n + start))
      (if start >= len then 0
       else if start + count > len then len - start
       else count);
  take = count: sublist 0 count;
  drop = count: list: sublist count (length list) list;

  last = list:
    assert lib.assertMsg (list != [ ]) "lists.last: list must not be empty!";
    elemAt list (length list - 1);
  init = list:
    assert lib.assertMsg (list != [ ]) "lists.init: list must not be empty!";
    take (length list - 1) list;

  # Apply f to every combination of one element from each list.
  crossLists = f: foldl (fs: args: concatMap (g: map g args) fs) [ f ];

  unique = foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ];
  intersectLists = e: filter (x: elem x e);
  subtractLists = e: filter (x: !(elem x e));
  mutuallyExclusive = a: b: a == [ ] || !(builtins.any (x: elem x a) b);
}
