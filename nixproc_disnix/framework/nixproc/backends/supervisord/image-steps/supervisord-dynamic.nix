# supervisord starts with an empty conf.d, which nixproc-supervisord-switch
# fills (SUPERVISORD_CONF_DIR); its supervisord.conf is the one every
# supervisord profile has.
{ pkgs, common, input, result }:

let
  conf = (builtins.fromJSON ((import ../../../native.nix).profileFiles "supervisord" [])).${"supervisord.conf"}.content;
in
result // {
  extraCommands = result.extraCommands or "" + ''
    mkdir -p etc/supervisor/conf.d
    cp ${builtins.toFile "supervisord.conf" conf} etc/supervisor/supervisord.conf
    chmod 644 etc/supervisor/supervisord.conf
  '';

  config = result.config or {} // {
    Env = result.config.Env or [] ++ [ "SUPERVISORD_CONF_DIR=/etc/supervisor" ];
  };
}
