# A supervisord that provides the container "supervisord-program": services
# of type supervisord-program deployed into it become its programs. Its
# package carries etc/dysnomia/containers/supervisord-program (where it
# includes programs from, and where supervisorctl reaches it) and the
# supervisord-program module, so a Disnix target can deploy into it.
{ supervisordConstructorFun, dysnomia, libDir }:
{ instanceSuffix ? "", inetHTTPServerPort ? 9001, type }:

let
  instanceName = "supervisord${instanceSuffix}";
  supervisordTargetDir = "${libDir}/${instanceName}/conf.d";
  supervisordServerUrl = "http://127.0.0.1:${toString inetHTTPServerPort}";
in
{
  name = instanceName;
  inherit type supervisordTargetDir supervisordServerUrl;
  providesContainer = "supervisord-program${instanceSuffix}";

  pkg = supervisordConstructorFun {
    inherit instanceName inetHTTPServerPort;
    postInstall = ''
      mkdir -p $out/etc/dysnomia/containers $out/libexec/dysnomia
      cat > $out/etc/dysnomia/containers/supervisord-program${instanceSuffix} <<EOF
      supervisordTargetDir="${supervisordTargetDir}"
      supervisordServerUrl="${supervisordServerUrl}"
      EOF
      ln -s ${dysnomia}/libexec/dysnomia/supervisord-program $out/libexec/dysnomia
    '';
  };
}
