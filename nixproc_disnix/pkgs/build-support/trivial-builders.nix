/* nixpkgs' trivial builders (pkgs/build-support/trivial-builders.nix) on our stdenv. */
{ lib, stdenv }:

let
  shellScript = text: ''
    #!${stdenv.shell}
    ${text}
  '';
  shellCheck = ''${stdenv.shellDryRun} "$target"'';
in
rec {
  # A derivation that runs buildCommand (shell code) with the attributes of derivationArgs.
  runCommandWith = { stdenv, runLocal ? false, derivationArgs ? { }, name }: buildCommand:
    stdenv.mkDerivation ({
      enableParallelBuilding = true;
      inherit buildCommand name;
      passAsFile = [ "buildCommand" ] ++ (derivationArgs.passAsFile or [ ]);
    }
    // lib.optionalAttrs runLocal { preferLocalBuild = true; allowSubstitutes = false; }
    // removeAttrs derivationArgs [ "passAsFile" ]);

  runCommand = name: env: runCommandWith { inherit stdenv name; derivationArgs = env; };
  runCommandLocal = name: env: runCommandWith { inherit stdenv name; runLocal = true; derivationArgs = env; };
  # The host compiler is always on PATH, so these are runCommand.
  runCommandCC = runCommand;
  runCommandNoCC = runCommand;
  runCommandNoCCLocal = runCommandLocal;

  # A file holding `text`, at $out or at $out${destination}; checkPhase may test "$target".
  writeTextFile =
    { name, text, executable ? false, destination ? "", checkPhase ? "", meta ? { }
    , allowSubstitutes ? false, preferLocalBuild ? true }:
    assert lib.assertMsg (destination == "" || (lib.hasPrefix "/" destination && destination != "/"))
      "writeTextFile ${name}: destination must be empty or an absolute path below $out, not '${destination}'";
    runCommand name {
      inherit text executable checkPhase meta allowSubstitutes preferLocalBuild destination;
      passAsFile = [ "text" ];
    } ''
      target="$out$destination"
      mkdir -p "$(dirname "$target")"
      mv "$textPath" "$target"
      eval "$checkPhase"
      if [ -n "$executable" ]; then chmod +x "$target"; fi
    '';

  writeText = name: text: writeTextFile { inherit name text; };

  writeTextDir = path: text: writeTextFile {
    inherit text;
    name = builtins.baseNameOf path;
    destination = "/${path}";
  };

  writeScript = name: text: writeTextFile { inherit name text; executable = true; };

  writeScriptBin = name: text: writeTextFile {
    inherit name text;
    executable = true;
    destination = "/bin/${name}";
  };

  writeShellScript = name: text: writeTextFile {
    inherit name;
    executable = true;
    text = shellScript text;
    checkPhase = shellCheck;
  };

  writeShellScriptBin = name: text: writeTextFile {
    inherit name;
    executable = true;
    destination = "/bin/${name}";
    text = shellScript text;
    checkPhase = shellCheck;
  };

  # A directory of symlinks: entries is a list of { name; path; } or an attrset name -> path.
  linkFarm = name: entries:
    let
      list = if builtins.isAttrs entries
        then lib.mapAttrsToList (name: path: { inherit name path; }) entries
        else entries;
    in
    runCommand name {
      preferLocalBuild = true;
      allowSubstitutes = false;
      links = lib.escapeShellArgs (lib.concatMap (entry: [ entry.name "${entry.path}" ]) list);
    } ''
      mkdir -p "$out"
      cd "$out"
      eval "set -- $links"
      while [ "$#" -gt 0 ]; do
        mkdir -p "$(dirname "$1")"
        ln -s "$2" "$1"
        shift 2
      done
    '';

  # A package whose nix-support/setup-hook is script (with @name@ substitutions):
  # dependents source it before they build; deps are propagated to them.
  makeSetupHook = { name ? "hook", deps ? [ ], substitutions ? { } }: script:
    runCommand name (substitutions // { inherit script deps; }) (''
      mkdir -p "$out/nix-support"
      if [ -n "$deps" ]; then printf '%s\n' "$deps" > "$out/nix-support/propagated-build-inputs"; fi
    '' + (if substitutions == { }
      then ''cp "$script" "$out/nix-support/setup-hook"''
      else ''substituteAll "$script" "$out/nix-support/setup-hook"''));
}
