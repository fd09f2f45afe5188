"""The systemd backend: service units in ``etc/systemd/system`` with ``.wants`` links for dependencies (SPEC §3.3)."""
