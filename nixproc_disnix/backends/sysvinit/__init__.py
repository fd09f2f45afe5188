"""The sysvinit backend: LSB-style init scripts in ``etc/rc.d/init.d`` with ``rc<N>.d`` links (SPEC §3.1)."""
