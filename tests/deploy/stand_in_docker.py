"""A stand-in ``docker`` client with an engine of its own: the images and containers it was told about.

It knows the commands the docker switcher runs, in the forms it runs
them, and refuses what the real engine refuses: loading a missing or
malformed archive (tags come from the archive's ``manifest.json``, the
image id from its bytes), creating a container from an unknown image or
under a taken name, starting, stopping or removing an unknown container,
removing a running container, or an image a container or (by id) a tag
uses. A load that moves a tag leaves the image it took it from in
``state["untagged"]`` unless another tag names it, as the real engine
keeps it. ``state["fail_start"]`` lists containers whose next start fails
(each name is taken off as it fails).
"""
from __future__ import annotations

import hashlib
import json
import sys
import tarfile
from typing import Any


def _error(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


def _load(archive: str, state: dict[str, Any]) -> int:
    try:
        with tarfile.open(archive) as tar:
            manifest_file = tar.extractfile("manifest.json")
            assert manifest_file is not None
            manifest = json.load(manifest_file)
        with open(archive, "rb") as handle:
            image_id = "sha256:" + hashlib.sha256(handle.read()).hexdigest()
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError, AssertionError) as error:
        return _error(f"Error: cannot load {archive}: {error}")
    for image in manifest:
        for tag in image.get("RepoTags") or []:
            replaced = state["images"].get(tag, {}).get("id")
            state["images"][tag] = {"id": image_id, "archive": archive}
            if replaced not in (None, image_id) and not _tags_of(replaced, state):
                state["untagged"].append(replaced)
            print(f"Loaded image: {tag}")
    return 0


def _tags_of(image_id: str, state: dict[str, Any]) -> list[str]:
    return [tag for tag, image in state["images"].items() if image["id"] == image_id]


def _users_of(image_id: str, state: dict[str, Any]) -> list[str]:
    return [name for name, container in state["containers"].items() if container["image_id"] == image_id]


def _create(args: list[str], state: dict[str, Any]) -> int:
    if "--name" not in args or len(args) < 3:
        return _error("stand-in docker: create needs --name NAME and an image")
    index = args.index("--name")
    name, tag = args[index + 1], args[-1]
    if tag not in state["images"]:
        return _error(f"Unable to find image '{tag}' locally")
    if name in state["containers"]:
        return _error(f'Error response from daemon: Conflict. The container name "/{name}" is already in use')
    state["containers"][name] = {"image": tag, "image_id": state["images"][tag]["id"], "parameters": args[:index],
                                 "options": args[index + 2:-1], "state": "created", "starts": 0}
    print(hashlib.sha256(name.encode()).hexdigest())
    return 0


def main(command: str, args: list[str], state: dict[str, Any]) -> int:
    state.setdefault("images", {})
    state.setdefault("containers", {})
    state.setdefault("untagged", [])
    containers = state["containers"]
    match args:
        case ["ps", "--all", "--filter", name_filter, "--format", "{{.State}}"] if name_filter.startswith("name=^"):
            name = name_filter.removeprefix("name=^").removesuffix("$")
            if name in containers:
                print(containers[name]["state"])
            return 0
        case ["image", "inspect", "--format", "{{.Id}}", tag]:
            if tag not in state["images"]:
                return _error(f"Error: No such image: {tag}")
            print(state["images"][tag]["id"])
            return 0
        case ["load", "-i", archive]:
            return _load(archive, state)
        case ["create", *rest]:
            return _create(rest, state)
        case ["start", name] | ["stop", "-t", _, name] | ["rm", name] if name not in containers:
            return _error(f"Error response from daemon: No such container: {name}")
        case ["start", name]:
            if name in state.get("fail_start", []):
                state["fail_start"].remove(name)
                containers[name]["state"] = "exited"
                return _error(f"Error response from daemon: failed to start container {name}")
            containers[name]["state"] = "running"
            containers[name]["starts"] += 1
            print(name)
            return 0
        case ["stop", "-t", timeout, name] if timeout.isdigit():
            containers[name]["state"] = "exited"
            print(name)
            return 0
        case ["rm", name]:
            if containers[name]["state"] == "running":
                return _error(f"Error response from daemon: You cannot remove a running container {name}")
            del containers[name]
            print(name)
            return 0
        case ["rmi", image_id] if image_id.startswith("sha256:"):
            if image_id not in state["untagged"] and not _tags_of(image_id, state):
                return _error(f"Error response from daemon: No such image: {image_id}")
            if _tags_of(image_id, state) or _users_of(image_id, state):
                return _error(f"Error response from daemon: conflict: unable to delete {image_id} (must be forced)")
            state["untagged"].remove(image_id)
            print(f"Deleted: {image_id}")
            return 0
        case ["rmi", tag]:
            if tag not in state["images"]:
                return _error(f"Error response from daemon: No such image: {tag}")
            image_id = state["images"][tag]["id"]
            users = _users_of(image_id, state)
            if users and _tags_of(image_id, state) == [tag]:
                return _error(f"Error response from daemon: conflict: unable to remove repository reference "
                              f"\"{tag}\": container {users[0]} is using its referenced image")
            del state["images"][tag]
            print(f"Untagged: {tag}")
            return 0
    return _error(f"stand-in docker: unsupported: {args}", 125)
