# Upstream packages FreeBSD's rc.subr here for non-FreeBSD hosts. Our bsdrc
# scripts use the machine's own /etc/rc.subr, so this only keeps hand-written
# compositions that import it working.
{ ... }: null
