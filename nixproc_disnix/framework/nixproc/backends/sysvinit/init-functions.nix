# Upstream builds the LFS init functions here. Our sysvinit outputs carry our
# own library (lib/services/init-functions), so this only keeps hand-written
# compositions that import it working.
{ ... }: null
