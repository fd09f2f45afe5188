# The disnix backend's native create function (see ../create.nix).
import ../create.nix { processManager = "disnix"; }
