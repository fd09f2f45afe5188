"""The state directories of an image, made at build time as ``nixproc-init-state`` makes them on a machine.

A static image holds no nixproc tools, so upstream runs ``nixproc-init-state``
while building it. We render the same layout (``deploy.state.state_layout``)
as shell commands for ``extraCommands``, which runs in the image root:
every path is made relative to it.
"""
from __future__ import annotations

import shlex

from nixproc_disnix.deploy.state import state_layout
from nixproc_disnix.model.state_dirs import StateDirs


def _in_root(path: str) -> str:
    return shlex.quote(path.lstrip("/") or ".")


def init_state_script(dirs: StateDirs) -> str:
    """Shell commands creating, below the current directory, what ``nixproc-init-state`` would create for ``dirs``."""
    layout = state_layout(dirs)
    tmp = _in_root(layout.tmp_dir)
    lines = [f"mkdir -p {_in_root(layout.state_dir)}"]
    lines.append(f"if [ ! -d {tmp} ]; then mkdir -p {tmp}" + (f"; chmod 1777 {tmp}" if layout.public_tmp else "") + "; fi")
    lines.append(f"mkdir -p {_in_root(layout.runtime_dir)}")
    lines.extend(
        f"if [ ! -e {_in_root(link)} ] && [ ! -L {_in_root(link)} ]; then ln -s {shlex.quote(target)} {_in_root(link)}; fi"
        for link, target in layout.links
    )
    lines.extend(f"mkdir -p {_in_root(directory)}" for directory in layout.others)
    return "".join(line + "\n" for line in lines)
