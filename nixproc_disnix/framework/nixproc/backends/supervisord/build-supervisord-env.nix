# The supervisord deployment profile of a processes model (see ../../build-profile.nix).
import ../../build-profile.nix { processManager = "supervisord"; }
