[ ./supervisord.nix ./supervisord-dynamic.nix ]
