/* nixpkgs' dockerTools.buildImage, built without Nix, a VM or root by
   nixproc's builtin:nixproc-docker-image builder (nixproc_disnix/image/build.py):
   a docker-archive `docker load -i` reads, the same bytes for the same
   attributes.

   `contents` are merged into the image root as upstream merges them; the
   closure of every store path the attributes name is in the image, with
   the host files --pkgs host packages link; `extraCommands` runs with the
   host's tools in the image root. What needs a VM is refused: `runAsRoot`
   (use extraCommands) and `fromImage`. */
{ lib, system, hostPath }:

{
  buildImage =
    { name
    , tag ? null
    , fromImage ? null
    , fromImageName ? null
    , fromImageTag ? null
    , contents ? [ ]
    , keepContentsDirlinks ? false
    , config ? { }
    , runAsRoot ? null
    , diskSize ? 1024
    , buildVMMemorySize ? 512
    , extraCommands ? ""
    , created ? "1970-01-01T00:00:01Z"
    }:
    let
      baseName = baseNameOf name;

      image = derivation {
        name = "docker-image-${baseName}.tar";
        inherit system hostPath extraCommands created;
        builder = "builtin:nixproc-docker-image";
        imageName = lib.toLower name;
        imageTag = if tag == null then "" else tag;
        contents = lib.toList contents;
        config = builtins.toJSON (if config == null then { } else config);
        keepContentsDirlinks = keepContentsDirlinks;
      };
    in
    if fromImage != null then
      throw "dockerTools.buildImage ${name}: fromImage is not supported; nixproc builds an image from its contents alone"
    else if runAsRoot != null then
      throw "dockerTools.buildImage ${name}: runAsRoot needs a virtual machine, which nixproc does not use; do the work in extraCommands, which runs in the image root"
    else image // {
      imageName = lib.toLower name;
      # As upstream: the tag, or the output's hash when none is given.
      imageTag = if tag == null then builtins.head (lib.splitString "-" (baseNameOf image.outPath)) else tag;
    };
}
