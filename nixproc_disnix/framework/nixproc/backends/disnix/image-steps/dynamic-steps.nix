[ ./disnix.nix ./disnix-dynamic.nix ]
