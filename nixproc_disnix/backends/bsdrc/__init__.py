"""The bsdrc backend: rc.subr scripts in ``etc/rc.d`` ordered by ``PROVIDE``/``REQUIRE`` (SPEC §3.2)."""
