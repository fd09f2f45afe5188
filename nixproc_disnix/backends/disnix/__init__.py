"""The disnix backend: a process wrapper and its Dysnomia ``process`` config in ``etc/dysnomia/process`` (SPEC §3.7)."""
