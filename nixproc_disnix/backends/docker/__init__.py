"""The docker backend: a container description Dysnomia's ``docker-container`` module creates and starts (SPEC §3.8)."""
