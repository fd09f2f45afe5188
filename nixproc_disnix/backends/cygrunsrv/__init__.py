"""The cygrunsrv backend: the parameters of a Cygwin Windows service, one per line (SPEC §3.6)."""
