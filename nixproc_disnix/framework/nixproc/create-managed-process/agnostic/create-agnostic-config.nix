# The agnostic configuration: a directory holding <name>.json, the arguments
# exactly as they were passed to createManagedProcess (defaults are not
# filled in; derivations and paths become store paths).
{ stdenv ? null }:
properties:

let
  name = if properties ? name then properties.name else properties.instanceName;
in
import ../../generated-files.nix {
  inherit name;
  files = builtins.toJSON {
    "${name}.json" = { content = builtins.toJSON properties; executable = false; };
  };
} // { dependencies = properties.dependencies or []; }
