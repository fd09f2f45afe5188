# <nix/fetchurl.nix>: download a file with Nix's built-in fetcher.
#
# A fixed-output derivation: its output path depends only on the expected
# hash, so the builder (`builtin:fetchurl`, run by the Nix daemon itself) may
# use the network.  The attribute set is the one Nix 2.8 produces, so the
# derivation, and hence its drvPath, is the same.
{ system ? "" # unused, kept for old callers
, url
, hash ? "" # SRI form; its algorithm is part of the hash
, md5 ? "", sha1 ? "", sha256 ? "", sha512 ? ""
, outputHash ?
    if hash != "" then hash
    else if sha512 != "" then sha512
    else if sha1 != "" then sha1
    else if md5 != "" then md5
    else sha256
, outputHashAlgo ?
    if hash != "" then ""
    else if sha512 != "" then "sha512"
    else if sha1 != "" then "sha1"
    else if md5 != "" then "md5"
    else "sha256"
, executable ? false
, unpack ? false
, name ? baseNameOf (toString url)
}:

derivation {
  builder = "builtin:fetchurl";
  system = "builtin";
  inherit name url executable unpack outputHash outputHashAlgo;
  # An executable or unpacked download is hashed as a NAR, a plain file flat.
  outputHashMode = if unpack || executable then "recursive" else "flat";
  # `nix-prefetch-url` reads the mirror list from here.
  urls = [ url ];
  # Downloading is cheap compared with copying from a remote builder.
  preferLocalBuild = true;
  # Proxy settings are taken from the caller's environment; harmless for a
  # fixed-output derivation, whose result is checked against its hash.
  impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
}
