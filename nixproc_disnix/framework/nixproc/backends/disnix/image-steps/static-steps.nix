[ ./disnix.nix ./disnix-static.nix ]
