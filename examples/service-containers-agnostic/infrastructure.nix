# One machine: this one.
{
  localhost = {
    properties.hostname = "localhost";
  };
}
