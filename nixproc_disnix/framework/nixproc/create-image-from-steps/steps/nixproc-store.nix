# Where upstream's nix-support step makes Nix usable in the container, this
# makes our store usable by the nixproc tools there: the image's store paths
# are registered valid in the store's database (beside the store directory)
# and kept by a garbage collector root, NIXPROC_STORE_DIR names the store.
# Nix itself is not needed.
{ pkgs, common, input, result }:

let
  root = dirOf builtins.storeDir;
  inRoot = builtins.substring 1 (builtins.stringLength root) root;

  # Everything the image's attributes name so far is in the image (see dockerTools.buildImage).
  registration = derivation {
    name = "image-store-registration";
    system = builtins.currentSystem;
    builder = "builtin:nixproc-store-registration";
    rootPaths = builtins.concatStringsSep " " (map toString (result.contents or []))
      + builtins.toJSON (result.config or {}) + result.extraCommands or "";
  };
in
result // {
  extraCommands = result.extraCommands or "" + ''
    mkdir -p ${inRoot}/gcroots/auto ${inRoot}/image-roots
    cp ${registration}/db.sqlite ${inRoot}/db.sqlite
    chmod 644 ${inRoot}/db.sqlite
    while read -r path; do ln -s "$path" ${inRoot}/image-roots/; done < ${registration}/roots
    ln -s ${root}/image-roots ${inRoot}/gcroots/auto/image
  '';

  config = result.config or {} // {
    Env = result.config.Env or [] ++ [ "NIXPROC_STORE_DIR=${builtins.storeDir}" ];
  };
}
