# The s6-rc deployment profile of a processes model (see ../../build-profile.nix).
import ../../build-profile.nix { processManager = "s6-rc"; }
