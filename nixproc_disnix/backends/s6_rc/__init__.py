"""The s6-rc backend: s6-rc source definition directories in ``etc/s6/sv`` (SPEC §3.9)."""
