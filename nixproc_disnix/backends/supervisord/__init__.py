"""The supervisord backend: a ``[program:<name>]`` file in ``conf.d`` per process (SPEC §3.4)."""
