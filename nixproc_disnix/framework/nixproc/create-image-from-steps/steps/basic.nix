# What every image has: root's and nobody's accounts (uid/gid 999, as
# upstream), PAM's fallback configuration, an empty login.defs, /run, a
# world-writable /tmp, /var/empty and /var/run pointing at /run.
{ pkgs, common, input, result }:

let
  account = name: attributes: { inherit name attributes; };
in
import ./add-accounts.nix result {
  groups = [
    (account "root" { gid = "0"; })
    (account "nogroup" { gid = "999"; })
  ];
  users = [
    (account "root" { uid = "0"; group = "root"; homeDir = "/root"; shell = "${pkgs.bashInteractive}/bin/bash"; })
    (account "nobody" { uid = "999"; group = "nogroup"; homeDir = "/dev/null"; })
  ];
} // {
  extraCommands = result.extraCommands or "" + ''
    mkdir -p etc/pam.d
    cat > etc/pam.d/other <<'EOF'
    account sufficient pam_unix.so
    auth sufficient pam_rootok.so
    password requisite pam_unix.so nullok sha512
    session required pam_unix.so
    EOF
    touch etc/login.defs

    mkdir -p run tmp var/empty
    chmod 1777 tmp
    ln -s ../run var/run
  '';
}
