"""Running an image without a container engine: its layers unpacked into a directory, its command run in a chroot.

The command runs in new mount, PID and network namespaces (``unshare``), so
it sees only the image's files (plus ``/dev``, its own ``/proc`` and the
``/etc/hosts`` Docker gives every container), binds ports only it can
reach, and everything it starts dies with the namespace's first process,
whatever happens to the test. Running an unpacked root again is restarting
a stopped container.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tarfile
from pathlib import Path

from nixproc_disnix.image.archive import read_archive
from nixproc_disnix.model.docker_archive import ContainerConfig

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""The PATH images are built with: host packages link what it finds, system programs, not per-user shims
(pyenv's ``python3`` is a script in $HOME). Also what Docker gives a container whose image sets no PATH."""
DEFAULT_PATH = f"PATH={SYSTEM_PATH}"
"""What Docker puts in a container's environment when the image sets no PATH."""


def can_run_images() -> bool:
    """Chroot and namespaces need root and util-linux's unshare."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None and shutil.which("ip") is not None


def unpack(archive: Path, root: Path) -> ContainerConfig:
    """Extract the image's layers, bottom first, into ``root`` unless it is there; the container configuration."""
    image = read_archive(str(archive))
    if not root.exists():
        root.mkdir()
        with tarfile.open(archive) as outer:
            for layer in image.layers:
                with tarfile.open(fileobj=outer.extractfile(layer)) as tar:
                    tar.extractall(root, filter="fully_trusted")
    return image.config.config


def run_image(archive: Path, root: Path, ports: list[int], inside: str = "", timeout: float = 120) -> str:
    """Start the image's command, wait until every port answers, run the shell code ``inside`` in the
    container's namespaces (``in_container COMMAND...`` runs a command in the container, as ``docker exec``),
    then stop the command with TERM as ``docker stop`` does; everything printed."""
    config = unpack(archive, root)
    env = config.env or []
    if not any(variable.startswith("PATH=") for variable in env):
        env = [DEFAULT_PATH, *env]
    command = " ".join(shlex.quote(word) for word in [*(config.entrypoint or []), *(config.cmd or [])])
    environment = " ".join(shlex.quote(variable) for variable in env)
    answered = " && ".join(f"curl -s -o /dev/null http://127.0.0.1:{port}" for port in ports) or "true"
    script = f"""
        set -u
        root={shlex.quote(str(root))}
        ip link set lo up
        mkdir -p "$root/dev" "$root/proc"
        mount --rbind /dev "$root/dev"
        mount -t proc proc "$root/proc"
        printf '127.0.0.1 localhost\\n::1 localhost\\n' > "$root/etc/hosts"
        in_container() {{ env -i {environment} chroot "$root" "$@"; }}
        env -i {environment} chroot "$root" {command} &
        main=$!
        for attempt in $(seq 150); do if {answered}; then break; fi; sleep 0.2; done
        for port in {' '.join(map(str, ports))}; do echo "port $port: $(curl -s http://127.0.0.1:$port)"; done
        {inside}
        kill -TERM "$main"
        wait "$main"
        echo "exit status $?"
        echo "left running:"; ps -e -o user=,comm=
    """
    result = subprocess.run(
        ["unshare", "--mount", "--pid", "--net", "--fork", "--kill-child", "--mount-proc", "bash", "-c", script],
        capture_output=True, text=True, timeout=timeout,
    )
    return result.stdout + result.stderr
