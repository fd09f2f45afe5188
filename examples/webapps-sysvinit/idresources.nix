# Resource pools that nixproc-id-assign hands unique ids out of: ports for the
# webapps and for the nginx proxies, and uids/gids for the accounts each
# instance runs as (gids share the uids' range, so an instance's user and
# group get the same number).
rec {
  webappPorts = {
    min = 5000;
    max = 6000;
  };

  nginxPorts = {
    min = 8080;
    max = 9000;
  };

  uids = {
    min = 2000;
    max = 3000;
  };

  gids = uids;
}
