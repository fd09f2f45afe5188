# Resource pools for dydisnix-id-assign: the supervisord's HTTP port, the
# webapps' ports, and uids/gids for the accounts the webapps run as.
rec {
  inetHTTPPorts = {
    min = 9001;
    max = 9091;
  };

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
