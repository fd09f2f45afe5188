/* stdenv with nixpkgs' interface, for hosts without a Nix store of tools.

   `mkDerivation` runs our generic builder (stdenv/setup) with `shell`, and
   passes `hostPath` as PATH, so builds use the host's coreutils, make and
   compiler; the bin/ directories of build inputs come first.  `stdenv`
   itself is the store copy of the stdenv/ directory, so `$stdenv/setup`
   works in custom builders as it does in nixpkgs. */
{ lib, system, shell, hostPath }:

let
  platform = {
    inherit system;
    isLinux = lib.hasSuffix "-linux" system;
    isDarwin = lib.hasSuffix "-darwin" system;
    isx86_64 = lib.hasPrefix "x86_64-" system;
    isAarch64 = lib.hasPrefix "aarch64-" system;
  };

  setupDir = builtins.path { path = ./stdenv; name = "stdenv"; };

  # Attributes for Nix code only: they would change the derivation without meaning anything to the builder.
  nixOnlyAttrs = [ "meta" "passthru" "pos" "checkInputs" "installCheckInputs" "realBuilder" ];

  mkDerivation = attrs:
    let
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      passthru = attrs.passthru or { };
      checkInputs = lib.optionals (attrs.doCheck or false) (attrs.checkInputs or [ ])
        ++ lib.optionals (attrs.doInstallCheck or false) (attrs.installCheckInputs or [ ]);
      drv = derivation (removeAttrs attrs nixOnlyAttrs // {
        inherit name system;
        builder = attrs.realBuilder or shell;
        args = attrs.args or [ "-e" (attrs.builder or "${setupDir}/default-builder.sh") ];
        stdenv = setupDir;
        # Without it the builder would get Nix's PATH=/path-not-set.
        PATH = attrs.PATH or hostPath;
        nativeBuildInputs = (attrs.nativeBuildInputs or [ ]) ++ checkInputs;
        __ignoreNulls = true;
      });
    in
    lib.extendDerivation true
      ({
        meta = attrs.meta or { };
        inherit passthru;
        overrideAttrs = f: mkDerivation (attrs // lib.toFunction f attrs);
      } // passthru)
      drv;

  stdenv = {
    name = "stdenv";
    outPath = setupDir;
    inherit system shell mkDerivation;
    inherit (platform) isLinux isDarwin;
    hostPlatform = platform;
    buildPlatform = platform;
    targetPlatform = platform;
    # How nixpkgs checks a shell script's syntax (writeShellScript's checkPhase).
    shellDryRun = "${shell} -n -O extglob";

    # The host's C compiler and binutils, linked into a package.
    cc = mkDerivation {
      name = "host-cc";
      tools = [ "cc" "c++" "gcc" "g++" "clang" "clang++" "cpp" "ld" "as" "ar" "nm" "ranlib" "strip" "objcopy" ];
      buildCommand = ''
        mkdir -p "$out/bin"
        for tool in $tools; do
          if found=$(command -v "$tool"); then
            ln -s "$found" "$out/bin/$tool"
          fi
        done
        if [ ! -e "$out/bin/cc" ]; then
          echo "no C compiler: 'cc' is not on the host's PATH ($PATH)" >&2
          exit 1
        fi
      '';
      passthru = {
        isGNU = platform.isLinux;
        isClang = platform.isDarwin;
        targetPrefix = "";
      };
    };
  };
in
stdenv
