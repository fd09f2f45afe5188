/* buildEnv and symlinkJoin: one tree of symlinks over the union of packages'
   trees, linked by build-env.sh. */
{ lib, stdenv }:

let
  # entries: { priority; paths; } (lower priority numbers win collisions).
  # collisions: "error", "warn" (first wins, with a warning) or "first" (silently).
  linkTrees =
    { name, entries, collisions, pathsToLink ? [ "/" ], extraPrefix ? "", checkCollisionContents ? true
    , ignoreSingleFileOutputs ? false, postBuild ? "", extraAttrs ? { } }:
    assert lib.assertMsg (extraPrefix == "" || lib.hasPrefix "/" extraPrefix)
      "${name}: extraPrefix must be empty or start with '/', not '${extraPrefix}'";
    assert lib.assertMsg (lib.all (lib.hasPrefix "/") pathsToLink)
      "${name}: every entry of pathsToLink must start with '/'";
    stdenv.mkDerivation ({
      preferLocalBuild = true;
      allowSubstitutes = false;
    } // extraAttrs // {
      inherit name collisions extraPrefix checkCollisionContents ignoreSingleFileOutputs postBuild;
      builder = ./build-env.sh;
      pkgs = lib.concatMapStrings
        (entry: lib.concatMapStrings (path: "${toString entry.priority} ${path}\n") entry.paths)
        (builtins.sort (a: b: a.priority < b.priority) entries);
      pathsToLink = lib.concatMapStrings (path: path + "\n") pathsToLink;
      passAsFile = [ "pkgs" "pathsToLink" ];
    });
in
{
  # An environment (a profile): the union of the trees of `paths` (the outputs
  # nix-env would install, plus extraOutputsToInstall), below pathsToLink,
  # under extraPrefix.  Two packages providing one file is an error, unless
  # their meta.priority differs, the files are identical, or ignoreCollisions.
  buildEnv =
    { name, paths, ignoreCollisions ? false, checkCollisionContents ? true, pathsToLink ? [ "/" ]
    , extraOutputsToInstall ? [ ], extraPrefix ? "", ignoreSingleFileOutputs ? false, postBuild ? ""
    , nativeBuildInputs ? [ ], buildInputs ? [ ], passthru ? { }, meta ? { } }:
    linkTrees {
      inherit name pathsToLink extraPrefix checkCollisionContents ignoreSingleFileOutputs postBuild;
      collisions = if ignoreCollisions then "warn" else "error";
      entries = map
        (drv: {
          priority = drv.meta.priority or 5;
          paths =
            (if !(drv.outputSpecified or false) && drv.meta.outputsToInstall or null != null
              then map (output: drv.${output}) drv.meta.outputsToInstall
              else [ drv ])
            ++ lib.filter (output: output != null) (map (output: drv.${output} or null) extraOutputsToInstall);
        })
        paths;
      extraAttrs = { inherit nativeBuildInputs buildInputs passthru meta; };
    };

  # The union of the trees of `paths`; where two provide one file the first wins.
  symlinkJoin = args@{ name, paths, postBuild ? "", ... }:
    linkTrees {
      inherit name postBuild;
      entries = map (path: { priority = 0; paths = [ path ]; }) paths;
      collisions = "first";
      extraAttrs = removeAttrs args [ "name" "paths" "postBuild" ];
    };
}
