# The start of every image: the input's buildImage parameters (name, tag,
# contents, config, extraCommands, ...); the others are the steps' own.
{ pkgs, common, input, result }:

builtins.intersectAttrs (builtins.functionArgs pkgs.dockerTools.buildImage) input
