# The builder of stdenv.mkDerivation unless a derivation names its own.
source "$stdenv/setup"
genericBuild
