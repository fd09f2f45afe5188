/* Build support with nixpkgs' interfaces: stdenv.mkDerivation and the
   trivial builders (writeTextFile and friends, runCommand, symlinkJoin,
   buildEnv, substitute, makeWrapper) and dockerTools.buildImage, built
   by our own builder.

   Nothing comes from a Nix store: builders run `shell` (bash 4.4 or
   later) with `hostPath` (the host's coreutils, make and compiler).
   Text from a model reaches files through `passAsFile` or quoted
   variables, never through script source, except where an interface
   takes shell code (phases, hooks, buildCommand, postBuild, checkPhase,
   makeWrapper --run). */
{ lib, system, shell ? "/bin/bash", hostPath ? "/usr/local/bin:/usr/bin:/bin" }:

let
  stdenv = import ./stdenv.nix { inherit lib system shell hostPath; };
  trivial = import ./trivial-builders.nix { inherit lib stdenv; };
  envs = import ./build-env.nix { inherit lib stdenv; };
  substitutes = import ./substitute.nix { inherit lib stdenv; };
  dockerTools = import ./docker { inherit lib system hostPath; };
in
trivial // envs // substitutes // {
  inherit stdenv dockerTools;
  stdenvNoCC = stdenv;
  runtimeShell = shell;

  # A setup hook providing makeWrapper and wrapProgram (make-wrapper.sh).
  makeWrapper = trivial.makeSetupHook
    { name = "make-wrapper-hook"; substitutions = { inherit shell; }; }
    ./make-wrapper.sh;
}
