# The buildImage argument an image's steps make: each step file is
# { pkgs, common, input, result }: <result extended>, applied in order from {}.
{ pkgs, common ? {}, input, steps }:

builtins.foldl' (result: step: import step { inherit pkgs common input result; }) {} steps
