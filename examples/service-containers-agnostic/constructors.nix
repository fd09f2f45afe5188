# Constructors of container providers: services that other services are
# deployed into. Each one wraps a constructor of ../services-agnostic so its
# package also carries the Dysnomia container configuration and the module
# that deploys into it (SPEC 4.5).
{ pkgs
, stateDir
, runtimeDir
, logDir
, cacheDir
, libDir
, tmpDir
, forceDisableUserChange
, processManager
, nix-processmgmt ? <nix-processmgmt>
  # Where the supervisord-program module comes from. Upstream uses pkgs.dysnomia
  # with the module enabled; nixproc's own modules work without Dysnomia.
, dysnomia ? import "${nix-processmgmt}/nixproc/dysnomia-modules.nix"
}:

let
  constructors = import ../services-agnostic/constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir cacheDir libDir tmpDir forceDisableUserChange processManager;
  };
in
{
  extendableSupervisord = import ./extendable-supervisord.nix {
    inherit libDir dysnomia;
    supervisordConstructorFun = constructors.extendableSupervisord;
  };
}
