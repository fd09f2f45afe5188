# Components of version strings, split the way builtins.compareVersions does.
{ lib }:
let inherit (builtins) splitVersion elemAt; in
{
  inherit splitVersion;
  major = v: elemAt (splitVersion v) 0;
  minor = v: elemAt (splitVersion v) 1;
  patch = v: elemAt (splitVersion v) 2;
  majorMinor = v: builtins.concatStringsSep "." (lib.lists.take 2 (splitVersion v));
}
