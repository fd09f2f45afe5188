[ ./sysvinit.nix ./sysvinit-static.nix ]
