# What a step calls to declare accounts (see ../accounts.nix): `result` with
# the given groups, users and profiles after those of the steps before.
result:
{ groups ? [], users ? [], profiles ? [] }:

result // {
  accounts = {
    groups = result.accounts.groups or [] ++ groups;
    users = result.accounts.users or [] ++ users;
    profiles = result.accounts.profiles or [] ++ profiles;
  };
}
