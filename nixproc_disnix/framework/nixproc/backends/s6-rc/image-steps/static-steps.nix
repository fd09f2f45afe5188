[ ./s6-rc.nix ./s6-rc-static.nix ]
