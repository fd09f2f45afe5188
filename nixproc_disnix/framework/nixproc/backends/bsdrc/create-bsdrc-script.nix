# The bsdrc backend's native create function (see ../create.nix).
import ../create.nix { processManager = "bsdrc"; }
