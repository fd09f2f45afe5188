/* nixpkgs' substitute and substituteAll: a copy of `src` with text replaced,
   at $out (or $out/$dir/$name), executable if isExecutable. */
{ lib, stdenv }:

let
  # Whitespace-separated words, as nixpkgs' builder splits a string of replacements.
  words = text: builtins.filter (word: builtins.isString word && word != "") (builtins.split "[ \t\n]+" text);

  substituteWith = args: stdenv.mkDerivation ({
    name = args.name or (builtins.baseNameOf (toString args.src));
    builder = ./substitute.sh;
    preferLocalBuild = true;
    allowSubstitutes = false;
  } // args);
in
{
  # replacements: substitute's arguments, e.g. [ "--replace" "from" "to" "--subst-var" "name" ].
  substitute = args:
    let replacements = args.replacements or [ ]; in
    substituteWith (removeAttrs args [ "replacements" ] // {
      substitutions = lib.escapeShellArgs
        (if builtins.isList replacements then replacements else words replacements);
    });

  # Every @name@ in src becomes the value of the attribute `name` (names starting lower case).
  substituteAll = substituteWith;
}
