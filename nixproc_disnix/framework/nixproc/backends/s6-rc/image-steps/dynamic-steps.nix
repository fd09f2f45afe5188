[ ./s6-rc.nix ./s6-rc-dynamic.nix ]
