"""The launchd backend: a property list per process in ``Library/LaunchDaemons`` (SPEC §3.5)."""
