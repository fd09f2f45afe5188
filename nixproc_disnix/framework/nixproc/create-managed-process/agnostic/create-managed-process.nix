# createManagedProcess: one description of a process for every process
# manager. With processManager = null the result is the agnostic JSON
# configuration; otherwise the generator of that manager receives the
# parameters with their defaults resolved and only its own overrides.
{ processManager, generators ? {}, stdenv ? null }:

{ name ? instanceName
, description ? name
, initialize ? ""
, process ? null
, args ? []
, daemon ? process
, daemonExtraArgs ? []
, daemonArgs ? args ++ daemonExtraArgs
, instanceName ? null
, pidFile ? null
, foregroundProcess ? process
, foregroundProcessExtraArgs ? []
, foregroundProcessArgs ? args ++ foregroundProcessExtraArgs
, path ? []
, environment ? {}
, directory ? null
, umask ? null
, nice ? null
, user ? null
, dependencies ? []
, credentials ? {}
, overrides ? {}
, postInstall ? ""
# Beyond upstream: when the started process counts as ready (see nixproc_disnix/model/readiness.py)
, readiness ? null
}@properties:

if name == null then throw "No process name was specified or can be inferred!"
else if processManager == null then import ./create-agnostic-config.nix { inherit stdenv; } properties
else if !(builtins.hasAttr processManager generators) then throw "Unknown process manager: ${processManager}"
else builtins.getAttr processManager generators {
  inherit name description initialize daemon daemonArgs instanceName pidFile;
  inherit foregroundProcess foregroundProcessArgs path environment directory;
  inherit umask nice user dependencies credentials postInstall readiness;
  overrides = if builtins.hasAttr processManager overrides then builtins.getAttr processManager overrides else {};
}
