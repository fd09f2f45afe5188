# nixproc's Dysnomia modules as a package: libexec/dysnomia/<type> for every
# module type nixproc implements (the store path `nixproc dysnomia-modules`
# prints). A service container's package links the module that deploys
# services into it from here, as upstream's link from pkgs.dysnomia.
import ./generated-files.nix ((import ./native.nix).dysnomiaModules {})
