"""examples/multi-process-image loaded and run by a real Docker engine (dockerd in its own namespaces).

``docker load`` must accept our archive, ``docker run`` must start the
image's command, and from inside the container (``docker exec``) every
webapp instance answers on its port and through nginx by host name, with
the process manager as the container's first process and the webapps as
its children; ``docker stop`` ends the container with status 0.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerd_harness import Dockerd, dockerd  # noqa: F401 (a fixture)
from nixproc_disnix.deploy.image import build_image
from nixproc_disnix.store.store import Store
from test_image_example import NGINX, WEBAPPS, request, store  # noqa: F401 (a fixture)

MANAGER_PROCESS = {"supervisord": "supervisord --nodaemon", "sysvinit": "compound-proxy-script"}

ANSWERS = """
import json, sys, time, urllib.request
ports, nginx = json.loads(sys.argv[1]), int(sys.argv[2])
def get(port, host=None):
    headers = {"Host": host} if host else {}
    with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/", headers=headers), timeout=5) as r:
        return r.read().decode().strip()
answers = {}
for attempt in range(150):
    try:
        answers = {f"{host} on {port}": get(port) for host, port in ports.items()}
        answers.update({f"{host} through nginx": get(nginx, host) for host in ports})
        break
    except OSError as error:
        answers = {"error": repr(error)}
        time.sleep(0.2)
print(json.dumps(answers))
"""


@pytest.mark.integration
@pytest.mark.parametrize("manager", ["supervisord", "sysvinit"])
def test_docker_runs_the_image_and_it_serves_every_webapp(dockerd: Dockerd, store: Store,  # noqa: F811
                                                          manager: str) -> None:
    image = Path(build_image(store, request(manager, False)))
    dockerd.docker("load", "-i", str(image))
    name = f"webapps-{manager}"
    dockerd.docker("run", "-d", "--network", "none", "--name", name, "multiprocess:test")
    try:
        answers = json.loads(dockerd.docker("exec", name, "python3", "-c", ANSWERS, json.dumps(WEBAPPS),
                                            str(NGINX)).stdout)
        expected = {}
        for host, port in WEBAPPS.items():
            expected[f"{host} on {port}"] = expected[f"{host} through nginx"] = f"Hello from the webapp on port {port}!"
        assert answers == expected, dockerd.docker("logs", name, check=False).stdout

        listing = dockerd.docker("exec", name, "ps", "-ww", "-e", "-o", "pid=,ppid=,user=,args=").stdout
        processes = [line.split(None, 3) for line in listing.splitlines() if line.strip()]
        first = next(args for pid, _, _, args in processes if pid == "1")
        assert MANAGER_PROCESS[manager] in first, listing
        webapps = [(ppid, user) for _, ppid, user, args in processes
                   if any(word.endswith("-webapp/bin/webapp") for word in args.split())]
        assert len(webapps) == len(WEBAPPS), listing
        # Each instance is a child of the manager (sysvinit's daemons: of the init that started them), as its own user.
        assert all(ppid == "1" for ppid, _ in webapps), listing
        assert sorted(user for _, user in webapps) == ["webapp1", "webapp2"], listing

        dockerd.docker("stop", name)
        state = json.loads(dockerd.docker("inspect", "--format", "{{json .State}}", name).stdout)
        assert (state["Running"], state["ExitCode"], state["OOMKilled"]) == (False, 0, False), state
    finally:
        dockerd.docker("rm", "-f", name, check=False)
        dockerd.docker("rmi", "multiprocess:test", check=False)
