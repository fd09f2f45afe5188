# Everything on localhost; the webapps go into the container the supervisord
# provides there (their type, supervisord-program, names it).
{ infrastructure }:

{
  supervisord = [ infrastructure.localhost ];
  webapp1 = [ infrastructure.localhost ];
  webapp2 = [ infrastructure.localhost ];
}
