# The settings a process's `readiness` adds for its generator: the readiness
# check its files run (nixproc-wait-ready) as a file of our tools package, so
# that whatever holds the process's closure (an image, a Disnix target)
# holds the check too. Without `readiness` nothing is added, nothing built.
let
  waitReady = "${(import ../tools {}).common}/bin/nixproc-wait-ready";
in
readiness: if readiness == null then {} else { inherit waitReady; }
