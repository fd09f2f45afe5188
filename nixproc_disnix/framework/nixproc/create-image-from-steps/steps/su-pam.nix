# su for root (`su <user> -c ...`, as sysvinit scripts switch users): PAM
# lets root through and checks everyone else's password; accounts come from
# the files only.
{ pkgs, common, input, result }:

result // {
  contents = result.contents or [] ++ [ pkgs.su pkgs.shadow ];

  extraCommands = result.extraCommands or "" + ''
    mkdir -p etc/pam.d
    cat > etc/pam.d/su <<'EOF'
    auth sufficient pam_rootok.so
    auth required pam_unix.so
    account required pam_unix.so
    password sufficient pam_unix.so nullok sha512
    session required pam_unix.so
    EOF

    cat > etc/nsswitch.conf <<'EOF'
    passwd: files
    group: files [success=merge]
    shadow: files
    hosts: mymachines files myhostname dns
    networks: files
    ethers: files
    services: files
    protocols: files
    rpc: files
    EOF
  '';
}
