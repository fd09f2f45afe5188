# If manpages = true: man and what it needs to format pages.
{ pkgs, common, input, result }:

result // pkgs.lib.optionalAttrs (input.manpages or false) {
  contents = result.contents or [] ++ (with pkgs; [ man groff gzip ]);

  config = result.config or {} // {
    Env = result.config.Env or [] ++ [ "MANPATH=/share/man:/nix/var/nix/profiles/default/share/man" ];
  };
}
