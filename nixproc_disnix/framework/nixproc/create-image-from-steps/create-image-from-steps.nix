# An image from steps (generate-config-from-steps.nix), built by
# dockerTools.buildImage. Steps declare accounts as data under `accounts`
# (see ./steps/add-accounts.nix) where upstream runs groupadd and useradd as
# root; they become the image's /etc/passwd, group, shadow and gshadow
# (./accounts.nix), merged into the root after every other content.
{ pkgs, steps, common ? {}, input }:

let
  result = import ./generate-config-from-steps.nix { inherit pkgs common input steps; };
in
pkgs.dockerTools.buildImage (removeAttrs result [ "accounts" ]
  // pkgs.lib.optionalAttrs (result ? accounts) {
    contents = result.contents or [] ++ [ (import ./accounts.nix result.accounts) ];
  })
