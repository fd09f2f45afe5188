# The pkgs resolver (host, nix or stub packages) of a nixproc evaluation:
# nixproc gives this file its value (nixproc_disnix/pkgs/__init__.py).
throw "nixproc_disnix/pkgs/resolver.nix is provided by nixproc (--pkgs host|nix|stub); Nix cannot evaluate it"
