# s6-linux-init as the container's init (container mode): its stage 1 brings
# up s6-rc's compiled database /etc/s6/rc/compiled and starts the `default`
# bundle; shutdown brings everything down. The s6-log account runs the
# logging services.
{ pkgs, common, input, result }:

let
  stage = name: text: pkgs.writeTextFile {
    inherit name;
    executable = true;
    destination = "/${name}";
    text = "#! ${pkgs.stdenv.shell} -e\n" + text;
  };

  skeleton = pkgs.symlinkJoin {
    name = "s6-skel-dir";
    paths = [
      (stage "rc.init" ''
        s6-rc-init -c /etc/s6/rc/compiled /run/service
        s6-rc -v2 -up change default
      '')
      (stage "rc.shutdown" ''
        exec s6-rc -v2 -bDa change
      '')
      (stage "rc.shutdown.final" "")
    ];
  };

  account = name: attributes: { inherit name attributes; };
in
import ../../../create-image-from-steps/steps/add-accounts.nix result {
  groups = [ (account "s6-log" { gid = "2"; }) ];
  users = [ (account "s6-log" { uid = "2"; group = "s6-log"; homeDir = "/dev/null"; }) ];
} // {
  contents = result.contents or [] ++ (with pkgs; [ s6-linux-init s6 s6-rc execline ]);

  extraCommands = result.extraCommands or "" + ''
    mkdir -p etc/s6 bin
    ${pkgs.s6-linux-init}/bin/s6-linux-init-maker -c /etc/s6/current -p /bin -m 0022 -f ${skeleton} -N -C -B etc/s6/current
    mv etc/s6/current/bin/* bin/
    rmdir etc/s6/current/bin
  '';

  config = result.config or {} // {
    Cmd = [ "/bin/init" ];
  };
}
