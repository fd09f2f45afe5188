# /etc/passwd, group, shadow and gshadow holding `groups` and `users` (lists
# of { name; attributes; } in the dysnomia-support format: attributes as the
# lines of a dysnomia-support/groups/<name> or users/<name> file, all
# strings), then the dysnomia-support accounts of each of `profiles`, as
# dysnomia-addgroups and dysnomia-addusers would create them. Built by
# nixproc's builtin:nixproc-accounts builder (nixproc_disnix/image/accounts.py).
{ groups ? [], users ? [], profiles ? [] }:

derivation {
  name = "image-accounts";
  system = builtins.currentSystem;
  builder = "builtin:nixproc-accounts";
  accounts = builtins.toJSON {
    inherit groups users;
    profiles = map (profile: "${profile}") profiles;
  };
}
