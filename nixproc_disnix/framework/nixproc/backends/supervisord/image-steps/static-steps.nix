[ ./supervisord.nix ./supervisord-static.nix ]
