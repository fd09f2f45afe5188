[ ./sysvinit.nix ./sysvinit-dynamic.nix ]
