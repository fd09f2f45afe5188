{
  "ids" = {
    "gids" = {
      "webapp1" = 2000;
      "webapp2" = 2001;
    };
    "inetHTTPPorts" = {
      "supervisord" = 9001;
    };
    "uids" = {
      "webapp1" = 2000;
      "webapp2" = 2001;
    };
    "webappPorts" = {
      "webapp1" = 5000;
      "webapp2" = 5001;
    };
  };
  "lastAssignments" = {
    "gids" = 2001;
    "inetHTTPPorts" = 9001;
    "uids" = 2001;
    "webappPorts" = 5001;
  };
}