# A backend's native create function (createSystemVInitScript,
# createSupervisordProgram, ...), composed as upstream's create-*.nix files
# are: the composition's tools (stdenv, writeTextFile, daemon, ...) are
# accepted and ours are used instead; the directories and the user-change
# policy are honoured; ids reach the credentials through createCredentials.
{ processManager, function ? null }:

{ stateDir ? "/var"
, runtimeDir ? "/var/run"
, logDir ? "/var/log"
, tmpDir ? "/tmp"
, forceDisableUserChange ? false
, createCredentials ? {}
, ...
}:

params:

let
  native = import ../native.nix;

  settings = {
    inherit stateDir runtimeDir logDir tmpDir forceDisableUserChange;
    ids = createCredentials.ids or {};
  } // import ../wait-ready.nix (params.readiness or null);
in
import ../generated-files.nix (native.create processManager function settings params)
  // { dependencies = params.dependencies or []; }
