# createCredentials as upstream composes it. Our backends write the
# dysnomia-support files themselves; this carries the ids and the policy to
# the create functions a hand-written constructors expression composes, and,
# called on its own, gives the files as an output.
{ ids ? {}, forceDisableUserChange ? false, ... }:

{
  inherit ids forceDisableUserChange;

  __functor = self: credentials:
    import ../generated-files.nix ((import ../native.nix).credentials { inherit ids forceDisableUserChange; } credentials);
}
