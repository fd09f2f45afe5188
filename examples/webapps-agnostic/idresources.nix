# Resource pools that nixproc-id-assign hands unique ids out of.
rec {
  webappPorts = {
    min = 5000;
    max = 6000;
  };

  uids = {
    min = 2000;
    max = 3000;
  };

  gids = uids;
}
