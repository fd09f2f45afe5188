"""Our Nix ``lib`` (``nixproc_disnix/compiler/lib``) against nixpkgs' documented results.

Expected values are written by hand from nixpkgs' documentation and semantics;
no Nix installation is needed.  Expressions see ``lib = import <nixpkgs/lib>``,
which must resolve to our lib since no nixpkgs is on the search path.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.eval.instantiate import EvalRequest, evaluate
from nixproc_disnix.compiler.lib import LIB_DIR, nixpkgs_lib
from nixproc_disnix.compiler.eval.values import Attrs
from nixproc_disnix.deep import run_deep
from nixproc_disnix.errors import NixprocError

CORPUS = Path("/work/shared/corpus/nix-processmgmt")


def lib_eval(expr: str) -> object:
    text = run_deep(lambda: evaluate(EvalRequest(
        expr=f"let lib = import <nixpkgs/lib>; in {expr}", strict=True, output="json")))
    return json.loads(text)


CASES = [
    # -- trivial
    ("lib.id 5", 5),
    ("lib.const 1 2", 1),
    ("lib.flip lib.concat [ 1 ] [ 2 ]", [2, 1]),
    ("lib.pipe 2 [ (x: x + 1) (x: x * 10) ]", 30),
    ("[ (lib.or false true) (lib.and true false) ]", [True, False]),
    ("[ (lib.boolToString true) (lib.boolToString false) ]", ["true", "false"]),
    ("lib.mergeAttrs { a = 1; b = 1; } { b = 2; }", {"a": 1, "b": 2}),
    ("lib.fix (self: { a = 1; b = self.a + 1; })", {"a": 1, "b": 2}),
    ("(lib.fix' (self: { a = 1; })).a", 1),
    ("lib.fix (lib.extends (self: super: { b = super.a + 10; }) (self: { a = 1; c = self.b; }))",
     {"a": 1, "b": 11, "c": 11}),
    ("((lib.makeExtensible (self: { a = 1; b = self.a; })).extend (self: super: { a = 2; })).b", 2),
    ("lib.fix (lib.extends (lib.composeManyExtensions [ (s: p: { x = p.x + 1; }) (s: p: { x = p.x * 2; }) ]) (s: { x = 1; }))",
     {"x": 4}),
    ("lib.toFunction 7 null", 7),
    ("lib.toFunction (x: x + 1) 1", 2),
    ("lib.functionArgs ({ a, b ? 1 }: a)", {"a": False, "b": True}),
    ("lib.functionArgs (lib.setFunctionArgs (x: x) { y = true; })", {"y": True}),
    ("[ (lib.isFunction (x: x)) (lib.isFunction { __functor = self: x: x; }) (lib.isFunction {}) ]",
     [True, True, False]),
    ("(lib.setFunctionArgs (x: x.a) { a = false; }) { a = 3; }", 3),
    ("lib.throwIfNot true \"no\" 1", 1),
    ("lib.throwIf false \"no\" 1", 1),
    ("builtins.tryEval (lib.throwIf true \"no\" 1)", {"success": False, "value": False}),
    ("lib.inNixShell", False),
    ("[ (lib.max 1 2) (lib.min 1 2) (lib.mod 7 3) (lib.mod (-7) 3) ]", [2, 1, 1, -1]),
    ("[ (lib.compare 1 2) (lib.compare 2 2) (lib.compare \"b\" \"a\") ]", [-1, 0, 1]),
    ("lib.toHexString 255", "FF"),
    ("lib.toBaseDigits 2 6", [1, 1, 0]),
    ("lib.bitNot 0", -1),
    ("lib.trivial.release", "22.05"),
    ("lib.warnIf false \"x\" 3", 3),
    # -- attrsets
    ("lib.attrByPath [ \"a\" \"b\" ] 0 { a.b = 1; }", 1),
    ("lib.attrByPath [ \"a\" \"c\" ] 0 { a.b = 1; }", 0),
    ("[ (lib.hasAttrByPath [ \"a\" \"b\" ] { a.b = null; }) (lib.hasAttrByPath [ \"x\" ] {}) ]", [True, False]),
    ("lib.setAttrByPath [ \"a\" \"b\" ] 3", {"a": {"b": 3}}),
    ("lib.getAttrFromPath [ \"a\" \"b\" ] { a.b = 4; }", 4),
    ("lib.attrVals [ \"a\" \"b\" ] { a = 1; b = 2; c = 3; }", [1, 2]),
    ("lib.attrValues { b = 2; a = 1; }", [1, 2]),
    ("lib.getAttrs [ \"a\" ] { a = 1; b = 2; }", {"a": 1}),
    ("lib.catAttrs \"a\" [ { a = 1; } { b = 0; } { a = 2; } ]", [1, 2]),
    ("lib.filterAttrs (n: v: n == \"foo\") { foo = 1; bar = 2; }", {"foo": 1}),
    ("lib.filterAttrsRecursive (n: v: v != null) { a = null; b = { c = null; d = 1; }; }", {"b": {"d": 1}}),
    ("lib.foldAttrs (n: a: [ n ] ++ a) [] [ { a = 2; } { a = 3; b = 1; } ]", {"a": [2, 3], "b": [1]}),
    ("lib.collect builtins.isList { a = { b = [ \"b\" ]; }; c = [ 1 ]; }", [["b"], [1]]),
    ("lib.collect (x: x ? outPath) { a = { outPath = \"a/\"; }; b = { c = { outPath = \"b/\"; }; }; }",
     ["a/", "b/"]),  # JSON prints a set with outPath as that string
    ("lib.nameValuePair \"some\" 6", {"name": "some", "value": 6}),
    ("lib.mapAttrs (n: v: n + v) { x = \"a\"; y = \"b\"; }", {"x": "xa", "y": "yb"}),
    ("lib.mapAttrs' (n: v: lib.nameValuePair (\"foo_\" + n) (\"bar-\" + v)) { x = \"a\"; y = \"b\"; }",
     {"foo_x": "bar-a", "foo_y": "bar-b"}),
    ("lib.mapAttrsToList (n: v: n + v) { x = \"a\"; y = \"b\"; }", ["xa", "yb"]),
    ("lib.mapAttrsRecursive (path: v: builtins.concatStringsSep \"-\" (path ++ [ v ])) { n = { a = \"A\"; m = { b = \"B\"; }; }; }",
     {"n": {"a": "n-a-A", "m": {"b": "n-m-b-B"}}}),
    ("lib.mapAttrsRecursiveCond (as: !(as ? stop)) (p: v: 1) { a = { stop = 0; }; b = { c = 2; }; }",
     {"a": 1, "b": {"c": 1}}),
    ("lib.genAttrs [ \"foo\" \"bar\" ] (name: \"x_\" + name)", {"foo": "x_foo", "bar": "x_bar"}),
    ("[ (lib.isDerivation { type = \"derivation\"; }) (lib.isDerivation {}) (lib.isDerivation 1) ]",
     [True, False, False]),
    ("[ (lib.optionalAttrs true { a = 1; }) (lib.optionalAttrs false { a = 1; }) ]", [{"a": 1}, {}]),
    ("lib.zipAttrsWithNames [ \"a\" ] (name: vs: vs) [ { a = \"x\"; } { a = \"y\"; b = \"z\"; } ]", {"a": ["x", "y"]}),
    ("lib.zipAttrsWith (name: values: values) [ { a = \"x\"; } { a = \"y\"; b = \"z\"; } ]",
     {"a": ["x", "y"], "b": ["z"]}),
    ("lib.zipAttrs [ { a = \"x\"; } { a = \"y\"; b = \"z\"; } ]", {"a": ["x", "y"], "b": ["z"]}),
    ("lib.recursiveUpdate { boot.loader.grub.enable = true; boot.loader.grub.device = \"/dev/hda\"; }"
     " { boot.loader.grub.device = \"\"; }",
     {"boot": {"loader": {"grub": {"enable": True, "device": ""}}}}),
    ("lib.recursiveUpdate { a = { b = 1; }; } { a = 2; }", {"a": 2}),
    ("lib.recursiveUpdateUntil (path: l: r: path == [ \"foo\" ]) { foo.bar = 1; foo.baz = 2; bar = 3; }"
     " { foo.bar = 1; foo.quz = 2; baz = 4; }",
     {"foo": {"bar": 1, "quz": 2}, "bar": 3, "baz": 4}),
    ("[ (lib.matchAttrs { cpu = {}; } { cpu = { bits = 64; }; }) (lib.matchAttrs { a = 1; } { a = 2; })"
     " (lib.matchAttrs { a = 1; } {}) ]", [True, False, False]),
    ("lib.overrideExisting { a = 1; } { a = 2; b = 3; }", {"a": 2}),
    ("lib.getOutput \"dev\" { out = \"o\"; dev = \"d\"; }", "d"),
    ("lib.getBin { out = \"o\"; }", "o"),
    ("lib.getLib { out = \"o\"; lib = \"l\"; outputSpecified = true; }",
     {"out": "o", "lib": "l", "outputSpecified": True}),
    ("lib.getDev \"plain\"", "plain"),
    ("lib.getMan { man = \"m\"; }", "m"),
    ("lib.chooseDevOutputs [ { dev = 1; } { out = 2; } ]", [1, 2]),
    ("lib.recurseIntoAttrs { a = 1; }", {"a": 1, "recurseForDerivations": True}),
    ("lib.dontRecurseIntoAttrs {}", {"recurseForDerivations": False}),
    ("lib.cartesianProductOfSets { a = [ 1 2 ]; b = [ 10 20 ]; }",
     [{"a": 1, "b": 10}, {"a": 1, "b": 20}, {"a": 2, "b": 10}, {"a": 2, "b": 20}]),
    ("lib.updateManyAttrsByPath [ { path = [ \"a\" \"b\" ]; update = old: { d = old.c; }; }"
     " { path = [ \"a\" \"b\" \"c\" ]; update = old: old + 1; } { path = [ \"x\" \"y\" ]; update = old: \"xy\"; } ] { a.b.c = 0; }",
     {"a": {"b": {"d": 1}}, "x": {"y": "xy"}}),
    ("lib.updateManyAttrsByPath [ { path = [ ]; update = old: old // { n = 2; }; } { path = [ \"n\" ]; update = old: old * 10; } ] { n = 1; }",
     {"n": 2}),
    ("lib.updateManyAttrsByPath [ { path = [ \"a\" ]; update = old: old + 1; } { path = [ \"a\" ]; update = old: old * 2; } ] { a = 1; b = 0; }",
     {"a": 4, "b": 0}),
    ("lib.updateManyAttrsByPath [ { path = [ \"a\" ]; update = old: throw \"unused\"; } { path = [ \"a\" ]; update = old: 5; } ] { a = 1; }",
     {"a": 5}),
    ("lib.showAttrPath [ \"foo\" \"10\" \"bar\" ]", 'foo."10".bar'),
    # -- lists
    ("lib.singleton 1", [1]),
    ("lib.forEach [ 1 2 ] (x: x * 2)", [2, 4]),
    ("lib.foldr (x: acc: \"(${x} ${acc})\") \"z\" [ \"a\" \"b\" ]", "(a (b z))"),
    ("lib.foldl (acc: x: \"(${acc} ${x})\") \"z\" [ \"a\" \"b\" ]", "((z a) b)"),
    ("lib.foldl' (acc: x: acc + x) 0 [ 1 2 3 ]", 6),
    ("lib.imap0 (i: v: \"${v}-${toString i}\") [ \"a\" \"b\" ]", ["a-0", "b-1"]),
    ("lib.imap1 (i: v: \"${v}-${toString i}\") [ \"a\" \"b\" ]", ["a-1", "b-2"]),
    ("lib.concatMap (x: [ x x ]) [ 1 2 ]", [1, 1, 2, 2]),
    ("lib.flatten [ 1 [ 2 [ 3 ] 4 ] 5 ]", [1, 2, 3, 4, 5]),
    ("lib.flatten 1", [1]),
    ("lib.remove 3 [ 1 3 4 3 ]", [1, 4]),
    ("[ (lib.findSingle (x: x == 3) \"none\" \"multiple\" [ 1 3 3 ]) (lib.findSingle (x: x == 3) \"none\" \"multiple\" [ 1 3 ])"
     " (lib.findSingle (x: x == 3) \"none\" \"multiple\" [ 1 9 ]) ]", ["multiple", 3, "none"]),
    ("[ (lib.findFirst (x: x > 3) 7 [ 1 6 4 ]) (lib.findFirst (x: x > 9) 7 [ 1 6 4 ]) ]", [6, 7]),
    ("[ (lib.any lib.isString [ 1 \"a\" ]) (lib.all (x: x < 3) [ 1 2 ]) ]", [True, True]),
    ("lib.count (x: x == 1) [ 1 2 3 1 ]", 2),
    ("[ (lib.optional true \"foo\") (lib.optional false \"foo\") (lib.optionals true [ 2 3 ]) (lib.optionals false [ 2 3 ]) ]",
     [["foo"], [], [2, 3], []]),
    ("[ (lib.toList [ 1 2 ]) (lib.toList \"hi\") ]", [[1, 2], ["hi"]]),
    ("[ (lib.range 2 4) (lib.range 3 2) ]", [[2, 3, 4], []]),
    ("lib.partition (x: x > 2) [ 5 1 2 3 4 ]", {"right": [5, 3, 4], "wrong": [1, 2]}),
    ("lib.groupBy (x: if x then \"t\" else \"f\") [ true false true ]", {"t": [True, True], "f": [False]}),
    ("lib.groupBy' (s: x: s + x.v) 0 (x: x.n) [ { n = \"a\"; v = 1; } { n = \"b\"; v = 5; } { n = \"a\"; v = 2; } ]",
     {"a": 3, "b": 5}),
    ("lib.zipListsWith (a: b: a + b) [ \"h\" \"l\" ] [ \"e\" \"o\" \"x\" ]", ["he", "lo"]),
    ("lib.zipLists [ 1 2 ] [ \"a\" \"b\" ]", [{"fst": 1, "snd": "a"}, {"fst": 2, "snd": "b"}]),
    ("lib.reverseList [ \"b\" \"o\" \"j\" ]", ["j", "o", "b"]),
    ("lib.toposort lib.hasPrefix [ \"/home/user\" \"other\" \"/\" \"/home\" ]",
     {"result": ["/", "/home", "/home/user", "other"]}),
    ("lib.toposort (a: b: a < b) [ 3 1 2 ]", {"result": [1, 2, 3]}),
    ("lib.toposort (a: b: true) [ 1 2 ]", {"cycle": [1, 2], "loops": [1]}),
    ("lib.listDfs true lib.hasPrefix [ \"/home/user\" \"other\" \"/\" \"/home\" ]",
     {"minimal": "/", "visited": ["/home/user"], "rest": ["/home", "other"]}),
    ("lib.sort (a: b: a < b) [ 5 3 7 ]", [3, 5, 7]),
    ("[ (lib.compareLists lib.compare [] []) (lib.compareLists lib.compare [ \"a\" ] [ \"a\" \"b\" ])"
     " (lib.compareLists lib.compare [ \"b\" ] [ \"a\" \"c\" ]) ]", [0, -1, 1]),
    ("lib.naturalSort [ \"disk11\" \"disk8\" \"disk100\" \"disk9\" ]", ["disk8", "disk9", "disk11", "disk100"]),
    ("lib.naturalSort [ \"10.46.133.149\" \"10.5.16.62\" \"10.54.16.25\" ]",
     ["10.5.16.62", "10.46.133.149", "10.54.16.25"]),
    ("[ (lib.take 2 [ \"a\" \"b\" \"c\" ]) (lib.take 4 [ 1 ]) (lib.drop 2 [ \"a\" \"b\" \"c\" ]) (lib.drop 4 [ 1 ]) ]",
     [["a", "b"], [1], ["c"], []]),
    ("[ (lib.sublist 1 3 [ \"a\" \"b\" \"c\" \"d\" \"e\" ]) (lib.sublist 1 3 [ \"a\" \"b\" ]) (lib.sublist 5 1 [ 1 ]) ]",
     [["b", "c", "d"], ["b"], []]),
    ("[ (lib.last [ 1 2 3 ]) (lib.init [ 1 2 3 ]) ]", [3, [1, 2]]),
    ("builtins.tryEval (lib.last [])", {"success": False, "value": False}),
    ("lib.crossLists (x: y: \"${toString x}${toString y}\") [ [ 1 2 ] [ 3 4 ] ]", ["13", "14", "23", "24"]),
    ("lib.unique [ 3 2 3 4 ]", [3, 2, 4]),
    ("lib.intersectLists [ 1 2 3 ] [ 6 3 2 ]", [3, 2]),
    ("lib.subtractLists [ 3 2 ] [ 1 2 3 4 5 3 ]", [1, 4, 5]),
    ("[ (lib.mutuallyExclusive [ 1 2 ] [ 3 ]) (lib.mutuallyExclusive [ 1 2 ] [ 2 ]) (lib.mutuallyExclusive [] [ 1 ]) ]",
     [True, False, True]),
    ("[ (lib.elemAt [ 1 2 ] 1) (lib.head [ 1 2 ]) (lib.tail [ 1 2 ]) (lib.length [ 1 2 ]) (lib.elem 2 [ 1 2 ]) ]",
     [2, 1, [2], 2, True]),
    ("[ (lib.filter (x: x > 1) [ 1 2 3 ]) (lib.genList (x: x * x) 3) (lib.concatLists [ [ 1 ] [ 2 3 ] ]) ]",
     [[2, 3], [0, 1, 4], [1, 2, 3]]),
    ("lib.imap (i: v: i) [ \"a\" \"b\" ]", [1, 2]),
    # -- strings
    ("lib.concatStrings [ \"foo\" \"bar\" ]", "foobar"),
    ("lib.concatMapStrings (x: \"a\" + x) [ \"foo\" \"bar\" ]", "afooabar"),
    ("lib.concatImapStrings (pos: x: \"${toString pos}-${x}\") [ \"foo\" \"bar\" ]", "1-foo2-bar"),
    ("[ (lib.intersperse \"/\" [ \"usr\" \"local\" \"bin\" ]) (lib.intersperse \"/\" [ \"a\" ]) (lib.intersperse \"/\" []) ]",
     [["usr", "/", "local", "/", "bin"], ["a"], []]),
    ("lib.concatStringsSep \"/\" [ \"usr\" \"local\" ]", "usr/local"),
    ("lib.concatMapStringsSep \"-\" (x: lib.toUpper x) [ \"foo\" \"bar\" ]", "FOO-BAR"),
    ("lib.concatImapStringsSep \"-\" (pos: x: toString (x / pos)) [ 6 6 6 ]", "6-3-2"),
    ("lib.makeSearchPath \"bin\" [ \"/root\" \"/usr\" null \"/usr/local\" ]", "/root/bin:/usr/bin:/usr/local/bin"),
    ("lib.makeSearchPathOutput \"dev\" \"bin\" [ { out = \"/o\"; dev = \"/d\"; } { out = \"/p\"; } ]", "/d/bin:/p/bin"),
    ("lib.makeLibraryPath [ \"/root\" { lib = \"/l\"; } ]", "/root/lib:/l/lib"),
    ("lib.makeBinPath [ \"/root\" \"/usr\" ]", "/root/bin:/usr/bin"),
    ("[ (lib.optionalString true \"some-string\") (lib.optionalString false \"some-string\") ]", ["some-string", ""]),
    ("[ (lib.hasPrefix \"foo\" \"foobar\") (lib.hasPrefix \"foo\" \"barfoo\") (lib.hasSuffix \"foo\" \"barfoo\")"
     " (lib.hasSuffix \"foo\" \"fo\") (lib.hasInfix \"bc\" \"abcd\") (lib.hasInfix \"ab\" \"bcd\") (lib.hasInfix \".\" \"ab\") ]",
     [True, False, True, False, True, False, False]),
    ("lib.stringToCharacters \"abc\"", ["a", "b", "c"]),
    ("lib.stringToCharacters \"\"", []),
    ("lib.stringAsChars (x: if x == \"a\" then \"i\" else x) \"nax\"", "nix"),
    ("lib.escape [ \"(\" \")\" ] \"(foo)\"", "\\(foo\\)"),
    ("lib.escapeShellArg \"esc'ape\\nme\"", "'esc'\\''ape\nme'"),
    ("lib.escapeShellArgs [ \"one\" \"two three\" \"four'five\" ]", "'one' 'two three' 'four'\\''five'"),
    ("lib.escapeShellArg 5", "'5'"),
    ("lib.escapeNixString \"hello\\${}\\n\"", '"hello\\${}\\n"'),
    ("lib.escapeRegex \"[^a-z]*\"", "\\[\\^a-z]\\*"),
    ("lib.escapeXML ''\"test\" 'test' < & >''", "&quot;test&quot; &apos;test&apos; &lt; &amp; &gt;"),
    ("[ (lib.escapeNixIdentifier \"hello\") (lib.escapeNixIdentifier \"0abc\") ]", ["hello", '"0abc"']),
    ("lib.replaceChars [ \"<\" \">\" ] [ \"&lt;\" \"&gt;\" ] \"<foo>\"", "&lt;foo&gt;"),
    ("[ (lib.toLower \"HOME\") (lib.toUpper \"home\") ]", ["home", "HOME"]),
    ("builtins.length lib.lowerChars + builtins.length lib.upperChars", 52),
    ("lib.addContextFrom \"a\" \"b\"", "b"),
    ("[ (lib.splitString \".\" \"foo.bar.baz\") (lib.splitString \"/\" \"/usr/local/bin\") (lib.splitString \"x\" \"\") ]",
     [["foo", "bar", "baz"], ["", "usr", "local", "bin"], [""]]),
    ("[ (lib.removePrefix \"foo.\" \"foo.bar.baz\") (lib.removePrefix \"xxx\" \"foo.bar.baz\") ]", ["bar.baz", "foo.bar.baz"]),
    ("[ (lib.removeSuffix \"front\" \"homefront\") (lib.removeSuffix \"xxx\" \"homefront\") ]", ["home", "homefront"]),
    ("[ (lib.versionOlder \"1.1\" \"1.2\") (lib.versionOlder \"1.1\" \"1.1\") (lib.versionAtLeast \"1.1\" \"1.0\")"
     " (lib.versionAtLeast \"1.1\" \"1.1\") (lib.versionAtLeast \"1.1\" \"1.2\") ]", [True, False, True, True, False]),
    ("[ (lib.getName \"youtube-dl-2016.01.01\") (lib.getName { name = \"hello-2.10\"; }) (lib.getName { pname = \"p\"; name = \"x-1\"; }) ]",
     ["youtube-dl", "hello", "p"]),
    ("[ (lib.getVersion \"youtube-dl-2016.01.01\") (lib.getVersion { name = \"hello-2.10\"; }) (lib.getVersion { version = \"3\"; name = \"x-1\"; }) ]",
     ["2016.01.01", "2.10", "3"]),
    ("[ (lib.nameFromURL \"https://nixos.org/releases/nix/nix-1.7/nix-1.7-x86_64-linux.tar.bz2\" \"-\")"
     " (lib.nameFromURL \"https://nixos.org/releases/nix/nix-1.7/nix-1.7-x86_64-linux.tar.bz2\" \"_\") ]", ["nix", "nix-1.7-x86"]),
    ("[ (lib.enableFeature true \"shared\") (lib.enableFeature false \"shared\") (lib.enableFeatureAs true \"shared\" \"foo\")"
     " (lib.enableFeatureAs false \"shared\" (throw \"ignored\")) (lib.withFeature true \"shared\")"
     " (lib.withFeature false \"shared\") (lib.withFeatureAs true \"shared\" \"foo\") ]",
     ["--enable-shared", "--disable-shared", "--enable-shared=foo", "--disable-shared", "--with-shared",
      "--without-shared", "--with-shared=foo"]),
    ("[ (lib.fixedWidthString 5 \"0\" (toString 15)) (lib.fixedWidthNumber 5 15) (lib.fixedWidthNumber 2 15) ]",
     ["00015", "00015", "15"]),
    ("builtins.tryEval (lib.fixedWidthNumber 1 15)", {"success": False, "value": False}),
    ("[ (lib.isStorePath \"/nix/store/d945ibfx9x185xf04b890y4f9g3cbb63-python-2.7.11\")"
     " (lib.isStorePath \"/nix/store/d945ibfx9x185xf04b890y4f9g3cbb63-python-2.7.11/bin/python\")"
     " (lib.isStorePath \"/etc\") (lib.isStorePath [ \"/nix/store/x\" ])"
     " (lib.isStorePath { outPath = \"/nix/store/d945ibfx9x185xf04b890y4f9g3cbb63-python-2.7.11\"; }) ]",
     [True, False, False, False, True]),
    ("[ (lib.toInt \"1337\") (lib.toInt \"-4\") ]", [1337, -4]),
    ("builtins.tryEval (lib.toInt \"3.14\")", {"success": False, "value": False}),
    ("[ (lib.sanitizeDerivationName \"../hello.bar # foo\") (lib.sanitizeDerivationName \"\") (lib.sanitizeDerivationName \"ok-1.0\")"
     " (builtins.stringLength (lib.sanitizeDerivationName (lib.concatStrings (builtins.genList (_: \"a\") 300)))) ]",
     ["-hello.bar-foo", "unknown", "ok-1.0", 207]),
    ("[ (lib.isValidPosixName \"foo_bar000\") (lib.isValidPosixName \"0-bad.jpg\") ]", [True, False]),
    ("lib.toShellVar \"foo\" \"some string\"", "foo='some string'"),
    ("lib.toShellVar \"arr\" [ \"a\" \"b c\" ]", "declare -a arr=('a' 'b c')"),
    ("lib.toShellVar \"m\" { k = \"v\"; }", "declare -A m=(['k']='v')"),
    ("lib.toShellVars { foo = \"a\"; bar = 1; }", "bar='1'\nfoo='a'"),
    ("[ (lib.floatToString 0.5) (lib.floatToString 1.0) ]", ["0.500000", "1.000000"]),
    ("lib.normalizePath \"//a//b/\"", "/a/b/"),
    ("[ (lib.substring 1 2 \"abcd\") (lib.stringLength \"abc\") (lib.match \"a(b)\" \"ab\") (lib.split \"b\" \"abc\") ]",
     ["bc", 3, ["b"], ["a", [], "c"]]),
    # -- versions
    ("lib.splitVersion \"1.2.3\"", ["1", "2", "3"]),
    ("[ (lib.versions.major \"1.2.3\") (lib.versions.minor \"1.2.3\") (lib.versions.patch \"1.2.3\") (lib.versions.majorMinor \"1.2.3\") ]",
     ["1", "2", "3", "1.2"]),
    # -- customisation
    ("let f = lib.makeOverridable ({ a, b }: { sum = a + b; }) { a = 1; b = 2; }; in [ f.sum (f.override { b = 10; }).sum"
     " (f.override (old: { a = old.a * 5; })).sum ((f.override { a = 0; }).override { b = 0; }).sum ]",
     [3, 11, 7, 0]),
    ("lib.functionArgs (lib.makeOverridable ({ a }: b: a + b) { a = 1; })", {}),
    ("let f = lib.makeOverridable ({ a }: b: a + b) { a = 1; }; in [ (f 2) ((f.override { a = 5; }) 2) ]", [3, 7]),
    ("let pkgs = { a = 1; b = 2; }; r = lib.callPackageWith pkgs ({ a, c ? 3 }: { v = a + c; }) { }; in r.v", 4),
    ("(lib.callPackageWith { a = 1; } ({ a }: { v = a; }) { a = 9; }).v", 9),
    ("((lib.callPackageWith { a = 1; } ({ a }: { v = a; }) { }).override { a = 2; }).v", 2),
    ("let s = lib.callPackagesWith { a = 1; } ({ a }: { x = { v = a; }; y = { v = a + 1; }; }) { }; in [ s.x.v s.y.v (s.y.override { a = 10; }).v ]",
     [1, 2, 11]),
    ("let s = lib.makeScope (extra: lib.callPackageWith (s // extra)) (self: { a = 1; b = self.callPackage ({ a }: { v = a + 1; }) { }; });"
     " in [ s.b.v ((s.overrideScope' (self: super: { a = 10; })).b.v) ]", [2, 11]),
    ("let d = lib.extendDerivation true { extra = 1; } { outPath = \"/o\"; drvPath = \"/d\"; out = { type = \"derivation\"; outputName = \"out\"; outPath = \"/o\"; drvPath = \"/d\"; }; };"
     " in [ d.extra d.out.extra d.out.outputSpecified d.outPath (map (x: x.outputName) d.all) ]",
     [1, 1, True, "/o", ["out"]]),
    # -- asserts, debug, modules
    ("lib.assertMsg true \"x\"", True),
    ("builtins.tryEval (lib.assertMsg false \"x\")", {"success": False, "value": False}),
    ("lib.assertOneOf \"x\" 1 [ 1 2 ]", True),
    ("[ (lib.traceIf false \"m\" 1) (lib.mkForce 1) (lib.mkDefault 2) (lib.mkIf true 3) (lib.mkMerge [ 1 ]) (lib.mkBefore 4) ]",
     [1, {"_type": "override", "priority": 50, "content": 1}, {"_type": "override", "priority": 1000, "content": 2},
      {"_type": "if", "condition": True, "content": 3}, {"_type": "merge", "contents": [1]},
      {"_type": "order", "priority": 500, "content": 4}]),
    # -- generators
    ("lib.generators.toKeyValue {} { a = 1; b = \"x\"; c = true; }", "a=1\nb=x\nc=true\n"),
    ("lib.generators.toKeyValue { mkKeyValue = lib.generators.mkKeyValueDefault {} \":\"; listsAsDuplicateKeys = true; }"
     " { \"a:b\" = [ 1 2 ]; }", "a\\:b:1\na\\:b:2\n"),
    ("lib.generators.toINI {} { foo = { hi = \"\\${pkgs.hello}\"; ciao = \"bar\"; }; baz = { \"also, integers\" = 42; }; }",
     "[baz]\nalso, integers=42\n\n[foo]\nciao=bar\nhi=${pkgs.hello}\n"),
    ("[ (lib.generators.mkValueStringDefault {} null) (lib.generators.mkValueStringDefault {} false) ]", ["null", "false"]),
    ("lib.generators.toJSON {} { a = [ 1 ]; }", '{"a":[1]}'),
    ("lib.generators.toYAML {} { a = 1; }", '{"a":1}'),
    ("lib.generators.toPretty {} { a = [ 1 \"x\" ]; b = null; f = { x, y ? 1 }: x; }",
     '{\n  a = [\n    1\n    "x"\n  ];\n  b = null;\n  f = <function, args: {x, y?}>;\n}'),
    ("lib.generators.toPretty { multiline = false; } [ 1 { } \"a\\nb\" ]", '[ 1 { } "a\\nb" ]'),
    ("lib.generators.toPretty {} \"a\\nb\\n\"", "''\n  a\n  b\n''"),
]


@pytest.mark.parametrize("expr, expected", CASES, ids=[c[0][:60] for c in CASES])
def test_lib_function(expr: str, expected: object) -> None:
    assert lib_eval(expr) == expected


def test_lib_fails_like_nixpkgs() -> None:
    with pytest.raises(NixprocError, match="cannot find attribute `a.c'"):
        lib_eval('lib.getAttrFromPath [ "a" "c" ] { a.b = 1; }')
    with pytest.raises(NixprocError, match="lists.last: list must not be empty!"):
        lib_eval("lib.last []")
    with pytest.raises(NixprocError, match="path 'x.y' does not exist in the given value"):
        lib_eval('lib.updateManyAttrsByPath [ { path = [ "x" "y" ]; update = old: old; } ] { }')
    with pytest.raises(NixprocError, match="cannot update below path 'a'"):
        lib_eval('lib.updateManyAttrsByPath [ { path = [ "a" "b" ]; update = old: 1; } ] { a = 1; }')
    with pytest.raises(NixprocError, match="Could not convert 3.14 to int."):
        lib_eval('lib.toInt "3.14"')
    with pytest.raises(NixprocError, match=re.escape("x must be one of [\n  1\n  2\n], but is: 3")):
        lib_eval('lib.assertOneOf "x" 3 [ 1 2 ]')


def test_lib_subfiles_resolve_under_nixpkgs_lib() -> None:
    assert lib_eval('(import <nixpkgs/lib/strings.nix> { inherit lib; }).toUpper "a"') == "A"


def test_real_nixpkgs_on_search_path_wins(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "default.nix").write_text('{ mine = true; }')
    text = run_deep(lambda: evaluate(EvalRequest(
        expr="(import <nixpkgs/lib>).mine", strict=True, output="json", include=[f"nixpkgs={tmp_path}"])))
    assert text == "true"


def test_nixpkgs_lib_returns_evaluated_attrset() -> None:
    lib = run_deep(lambda: nixpkgs_lib(Evaluator(search_path=[])))
    assert type(lib) is Attrs
    assert "recursiveUpdate" in lib and "strings" in lib


def corpus_lib_names() -> set[str]:
    """Every ``lib.NAME`` / ``stdenv.lib.NAME`` the nix-processmgmt sources use."""
    names = set()
    for path in CORPUS.rglob("*.nix"):
        names.update(re.findall(r"(?<![\w.])(?:stdenv\.)?lib\.([A-Za-z_][\w']*)", path.read_text(errors="replace")))
    return names


# Found in nix-processmgmt; kept here so the test still checks them without the corpus.
CORPUS_NAMES = {
    "addContextFrom", "concatMapStrings", "concatMapStringsSep", "concatStringsSep", "escape",
    "escapeShellArg", "escapeShellArgs", "foldl", "genAttrs", "intersectLists", "isDerivation",
    "mapAttrs", "mkDefault", "mkForce", "optional", "optionalAttrs", "optionalString", "optionals",
    "range", "recursiveUpdate", "replaceStrings", "subtractLists", "unique",
}


def test_every_lib_function_nix_processmgmt_uses_exists() -> None:
    names = CORPUS_NAMES | (corpus_lib_names() if CORPUS.is_dir() else set())
    expr = "[ " + " ".join(f'(lib ? "{name}")' for name in sorted(names)) + " ]"
    present = lib_eval(expr)
    assert [n for n, ok in zip(sorted(names), present) if not ok] == []


def test_lib_dir_is_the_package_folder() -> None:
    assert Path(LIB_DIR, "default.nix").is_file()
