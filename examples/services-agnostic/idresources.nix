# Resource pools for nixproc-id-assign: the HTTP ports of extendable
# supervisords, and uids/gids for the accounts services create.
rec {
  uids = {
    min = 2000;
    max = 3000;
  };

  gids = uids;

  inetHTTPPorts = {
    min = 9001;
    max = 9091;
  };
}
