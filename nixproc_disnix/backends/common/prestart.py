"""The prestart script (upstream ``util/generate-prestart-script.nix``): ``initialize`` as an executable.

Managers that start the executable themselves rather than through a shell
script (systemd's ``ExecStartPre``, s6-rc's ``foreground { … }`` in an
execline script) run ``initialize`` by executing this file. ``-e`` on the
shebang line makes the first failing command fail the whole preparation.
``initialize`` is the model author's own shell code and is written as given.
"""
from __future__ import annotations

from nixproc_disnix.backends.common.output import GeneratedFile


def prestart_script(initialize: str, shell: str) -> GeneratedFile:
    """``#! <shell> -e`` followed by ``initialize``, executable."""
    body = initialize if initialize.endswith("\n") else initialize + "\n"
    return GeneratedFile(f"#! {shell} -e\n{body}", executable=True)
