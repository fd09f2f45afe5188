# The s6-rc backend's native create functions (see ../create.nix).
composition:

let
  create = function: import ../create.nix { processManager = "s6-rc"; inherit function; } composition;
in
{
  createLongRunService = create "create_long_run_service";
  createOneShotService = create "create_one_shot_service";
  createServiceBundle = create "create_service_bundle";
  createLogServiceForLongRunService = create "create_log_service_for_long_run_service";
}
