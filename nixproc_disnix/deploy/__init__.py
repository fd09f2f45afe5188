"""Building processes models into profiles and deploying them with a process manager."""
