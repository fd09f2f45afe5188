# The webapp as a package: bin/webapp runs webapp.py with the python3 of pkgs,
# so the process managers start one executable as with any other daemon.
{ runCommand, python3 }:

runCommand "webapp" { source = ./webapp.py; } ''
  mkdir -p $out/bin
  {
    echo "#!${python3}/bin/python3"
    tail -n +2 "$source"
  } > $out/bin/webapp
  chmod +x $out/bin/webapp
''
