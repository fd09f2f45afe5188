"""The docker backend's generator: a managed process → a container Dysnomia creates and starts (SPEC §3.8, §6.2).

Dysnomia's ``docker-container`` module sources ``<name>-docker-settings``
(``dockerImage``, ``dockerImageTag``), loads the image, and creates the
container with ``(cat <name>-docker-createparams; echo --name; echo <container>;
echo <tag>) | xargs -d '\\n' docker create``: every line of the createparams
file is one argument, taken literally, never through a shell. As upstream,
:func:`generate` has two parts:

- the *image* (:func:`docker_image_params`): dockerTools.buildImage's
  arguments, ``overrides.docker.image`` applied. Its command is the shared
  foreground proxy (which runs ``nixproc-init-state``, applies ``umask``
  and runs ``initialize`` as root, then starts the process as its user),
  its ``Env`` the environment with a ``PATH`` ending in the image's ``/bin``.
  ``DockerComposition.image_reference`` turns the arguments into the
  ``dockerImage`` the container names, by default ``<name>-docker-image.tar.gz``
  in this very output. Then the output's derivation also describes the
  image (``Generated.image``) and its builder builds it there after the
  files (``image/process_image.py``), so the image may name files of the
  output (the proxy) without a cycle between the two;
- the *container* (:func:`create_docker_container`, createDockerContainer):
  the settings, createparams and priority files, ``overrides.docker.container``
  applied. Containers use the host's store and network and map ``stateDir``.

The image holds the closure of the output (with the host files ``--pkgs
host`` packages link to), our tools and the accounts, so it runs without
the host's store. The ``/nix/store`` volume stays, as upstream: images
named by ``overrides.docker.container.dockerImage`` may rely on it, and
when our store is ``/nix/store`` it shows the paths the image holds.

The tests feed the createparams through the same ``xargs -d '\\n'``
Dysnomia uses and through the real ``docker`` client (against a stand-in
engine socket that records the request), and check every value arrives as
one argument, byte for byte. Against a real engine (a ``dockerd`` in its
own namespaces), ``nixproc-docker-switch`` deploys the webapps with these
images, and creates, replaces, rolls back and removes containers with
images a model names in ``overrides.docker.container.dockerImage``.

Differences from upstream, each what a user would expect:

- the proxy and the account files are files of this output
  (``bin/<name>-foregroundproxy.sh``, ``<name>-credentials/dysnomia-support``),
  named by its own path; upstream makes each a store path of its own;
- the image's accounts (root; ``nobody``/``nogroup`` when users are not
  changed; else the process's credentials) are made when the image is
  built, as ``dysnomia-addgroups``/``addusers`` would make them
  (``accounts``), not by ``useradd`` in ``runAsRoot`` or when the container
  starts; the image's directories come from ``extraCommands``. So the
  image of the output has no ``runAsRoot`` or base image (``fromImage``),
  which need a VM: one given by an override is refused, naming the process;
- a createparams value cannot hold a line break (it would become two
  arguments), so one is refused, naming the parameter; so is a state
  directory with ``:``, which ``--volume`` cannot express;
- ``dockerImageTag`` is written as given (upstream always writes
  ``<name>:latest``), and ``environment`` becomes ``--env NAME=value``
  parameters (upstream accepts and ignores it);
- settings values are shell-quoted (Dysnomia sources the file) and the
  store paths file has no trailing empty line;
- a process name that cannot name the output's files or a Docker image
  (lowercase letters, digits, ``.``, ``_``, ``-``) is refused, naming it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from nixproc_disnix.backends.common.backend import Dependency, Generated
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.foreground_proxy import ProxyTools, invocation_proxy
from nixproc_disnix.backends.common.mode import Mode, choose_invocation
from nixproc_disnix.backends.common.output import GeneratedFile, Symlink, in_output
from nixproc_disnix.backends.common.overrides import apply_overrides
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.backends.common.templates import template_environment
from nixproc_disnix.backends.common.util import append_path_to_environment, determine_user
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.image.accounts import AccountsSpec
from nixproc_disnix.image.process_image import IMAGE_FILE_SUFFIX, TOOLS_BIN, ProcessImage
from nixproc_disnix.model.docker_archive import ContainerConfig
from nixproc_disnix.model.nix_json import attr_names, to_string
from nixproc_disnix.model.process import ManagedProcess, Scalar
from nixproc_disnix.model.validation import validate_as
from nixproc_disnix.store.paths import check_store_path_name

_TEMPLATES = template_environment(__package__)

_IMAGE_NAME = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
"""A Docker repository name component: what ``<name>:latest`` needs to be a valid image reference."""

_PARAMS = ConfigDict(strict=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class DockerImageParams(BaseModel):
    """dockerTools.buildImage's arguments, as ``overrides.docker.image`` may set them.

    ``config`` is the image configuration (``Cmd``, ``Env``, ``WorkingDir``,
    or any other key of the Docker image specification), kept as given.
    ``accounts`` are the image's groups and users, as the multi-process
    image steps declare them (``image/accounts.py``): made at build time,
    which upstream does with ``runAsRoot``. What needs a VM (``runAsRoot``)
    or a base image (``fromImage``) is accepted here, but the image of the
    process's own output cannot have it.
    """

    model_config = _PARAMS

    name: str
    tag: str | None = "latest"
    from_image: str | None = None
    from_image_name: str | None = None
    from_image_tag: str | None = None
    contents: str | list[str] | None = None
    copy_to_root: str | list[str] | None = None
    keep_contents_dirlinks: bool = False
    config: dict[str, Any] = Field(default_factory=dict)
    architecture: str | None = None
    run_as_root: str | None = None
    extra_commands: str = ""
    accounts: AccountsSpec = Field(default_factory=AccountsSpec)
    disk_size: int = 1024
    build_vm_memory_size: int = Field(default=512, alias="buildVMMemorySize")
    created: str = "1970-01-01T00:00:01Z"


class DockerCreateParameter(BaseModel):
    """One ``docker create`` option: ``--<name>`` (``-<n>`` for one letter), then ``value`` if given."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str
    value: Scalar = None


class DockerContainerParams(BaseModel):
    """createDockerContainer's parameters; an unknown one is refused, as Nix refuses an unexpected argument.

    ``dockerCreateParameters`` is a list of ``{ name; value?; }`` or an
    attribute set (name → value, in attrNames order). ``cmd`` and
    ``storePaths`` only matter with the host's store: they are written out
    so the store paths the container uses are kept.
    """

    model_config = ConfigDict(**_PARAMS, arbitrary_types_allowed=True)

    name: str
    docker_image: str
    docker_image_tag: str
    docker_create_parameters: list[DockerCreateParameter] | dict[str, Scalar] = Field(default_factory=list)
    use_host_nix_store: bool = False
    use_host_network: bool = False
    map_state_dir_volumes: list[str] = Field(default_factory=list)
    cmd: str | list[Scalar] = ""
    environment: dict[str, Scalar] = Field(default_factory=dict)
    store_paths: list[str] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)
    post_install: str = ""


def image_in_output(image: DockerImageParams) -> str:
    """Where the image builder puts the image tarball: ``<name>-docker-image.tar.gz`` in the container's output."""
    return in_output(f"{image.name}{IMAGE_FILE_SUFFIX}")


@dataclass(frozen=True)
class DockerComposition:
    """generateDockerContainer's composition: what the container's ``PATH`` offers and how the image is referred to.

    The package lists are store paths, put on the container's ``PATH``
    before the image's own ``/bin``: ``base_packages`` (upstream: coreutils,
    gnused, gnugrep, inetutils), ``common_tools`` (a package with
    ``nixproc-init-state``; by default the image's ``/bin`` has ours).
    ``image_reference`` maps the image's arguments to the ``dockerImage``
    the container loads.
    """

    base_packages: tuple[str, ...] = ()
    common_tools: str | None = None
    proxy_tools: ProxyTools = field(
        default_factory=lambda: ProxyTools(chainload_user=f"{TOOLS_BIN}/nixproc-chainload-user")
    )
    image_reference: Callable[[DockerImageParams], str] = image_in_output


@dataclass(frozen=True)
class _Parts:
    """What generate builds before the overrides: the image arguments, the container's (but its image), the files."""

    image: dict[str, Any]
    container: dict[str, Any]
    files: dict[str, GeneratedFile | Symlink]


def generate(
    process: ManagedProcess, settings: BackendSettings, composition: DockerComposition = DockerComposition()
) -> Generated:
    """The docker output of ``process``: container settings, createparams, priority, the proxy, the accounts.

    ``process.overrides`` is the docker part only, ``{ image = …; container = …; }``.
    """
    parts = _parts(process, settings, composition)
    image = _image_params(process, parts)
    container = _container_params(process, parts, composition)
    generated = _created(container, process.name)
    return Generated(
        name=generated.name,
        files={**generated.files, **parts.files},
        passthru=generated.passthru,
        post_install=generated.post_install,
        image=_own_image(process.name, image).render() if container.docker_image == image_in_output(image) else "",
    )


def create(params: Mapping[str, Any], settings: BackendSettings) -> Generated:
    """createDockerContainer called directly with its own parameters."""
    validated = validate_as(DockerContainerParams, params, "createDockerContainer")
    return _created(validated, validated.name)


def docker_image_params(
    process: ManagedProcess, settings: BackendSettings, composition: DockerComposition = DockerComposition()
) -> DockerImageParams:
    """The image's arguments for ``process``, ``overrides.docker.image`` applied: what the image builder builds."""
    return _image_params(process, _parts(process, settings, composition))


def docker_container_params(
    process: ManagedProcess, settings: BackendSettings, composition: DockerComposition = DockerComposition()
) -> DockerContainerParams:
    """createDockerContainer's parameters for ``process``, ``overrides.docker.container`` applied."""
    return _container_params(process, _parts(process, settings, composition), composition)


def _image_params(process: ManagedProcess, parts: _Parts) -> DockerImageParams:
    arguments = apply_overrides(parts.image, override) if (override := _override(process, "image")) else parts.image
    return validate_as(DockerImageParams, arguments, f"docker image parameters of process '{process.name}'")


def _container_params(process: ManagedProcess, parts: _Parts, composition: DockerComposition) -> DockerContainerParams:
    """As upstream, the container's generated arguments name the image after its overrides; then the
    container's overrides apply (a function form sees ``dockerImage`` too)."""
    generated = {**parts.container, "dockerImage": composition.image_reference(_image_params(process, parts))}
    arguments = apply_overrides(generated, override) if (override := _override(process, "container")) else generated
    return validate_as(DockerContainerParams, arguments, f"docker container parameters of process '{process.name}'")


def _own_image(process_name: str, image: DockerImageParams) -> ProcessImage:
    """What the builder builds into the output when the container loads the image from there."""
    unsupported = [name for name, value in (("runAsRoot", image.run_as_root), ("fromImage", image.from_image),
                                            ("fromImageName", image.from_image_name),
                                            ("fromImageTag", image.from_image_tag)) if value is not None]
    if unsupported:
        raise EvalError(
            f"the image of docker process '{process_name}' cannot have {', '.join(unsupported)}: it is built without "
            "a VM or a base image; declare accounts with 'accounts', files with 'contents' and 'extraCommands'"
        )
    contents = [path for paths in (image.contents, image.copy_to_root) if paths is not None
                for path in ([paths] if isinstance(paths, str) else paths)]
    try:
        config = ContainerConfig.model_validate(image.config)
    except ValidationError as error:
        raise EvalError(f"the image config of docker process '{process_name}' is invalid: {error}") from None
    return ProcessImage(
        file=image_in_output(image).removeprefix(in_output("")), name=image.name, tag=image.tag or "latest",
        config=config, contents=contents, keep_contents_dirlinks=image.keep_contents_dirlinks,
        extra_commands=image.extra_commands, accounts=image.accounts, created=image.created,
    )


def _accounts(credentials: str | None, settings: BackendSettings) -> dict[str, Any]:
    """root's account, then ``nobody`` when users are not changed, else the process's own from its credentials."""
    def account(name: str, **attributes: str) -> dict[str, Any]:
        return {"name": name, "attributes": attributes}

    groups = [account("root", gid="0")]
    users = [account("root", uid="0", group="root", homeDir="/root")]
    if settings.force_disable_user_change:
        groups.append(account("nogroup", gid="999"))
        users.append(account("nobody", uid="999", group="nogroup", homeDir="/dev/null"))
    return {"groups": groups, "users": users, "profiles": [credentials] if credentials is not None else []}


def _override(process: ManagedProcess, part: str) -> Any:
    """``overrides.docker.<part>``, or None; docker's overrides must be ``{ image = …; container = …; }``."""
    overrides = process.overrides
    if not isinstance(overrides, Mapping) or not set(overrides) <= {"image", "container"}:
        raise EvalError(
            f"overrides.docker of process '{process.name}' must be an attribute set with 'image' and/or 'container'"
        )
    return overrides.get(part)


def _parts(process: ManagedProcess, settings: BackendSettings, composition: DockerComposition) -> _Parts:
    """The image and container arguments upstream's generator builds, and the files they refer to."""
    name = _checked_name(process.name)
    if not _IMAGE_NAME.fullmatch(name):
        raise EvalError(
            f"docker process name {name!r} cannot name a Docker image: use lowercase letters, digits, '.', '_' and '-'"
        )
    chosen = choose_invocation(process, Mode.FOREGROUND)
    if chosen is None:
        raise ThrownError(f"process '{name}' has neither a foreground process nor a daemon to start")
    files: dict[str, GeneratedFile | Symlink] = {}
    manage_accounts = False
    credentials_dir = f"{name}-credentials"
    if not settings.force_disable_user_change:
        for relative, content in dysnomia_support_files(process.credentials, settings.ids).items():
            files[f"{credentials_dir}/dysnomia-support/{relative}"] = GeneratedFile(content)
            manage_accounts = True
    initialize = _TEMPLATES.get_template("initialize.sh.j2").render(
        state_dir=settings.state_dir,
        runtime_dir=settings.runtime_dir,
        umask=process.umask,
        initialize=process.initialize,
    )
    proxy = invocation_proxy(
        name, chosen, process, settings, composition.proxy_tools, initialize=initialize,
        instance_name=process.instance_name, user=determine_user(process.user, settings.force_disable_user_change),
        nice=process.nice,
    )
    files[proxy.path] = proxy.script
    store_paths = [
        *composition.base_packages,
        *([composition.common_tools] if composition.common_tools is not None else []),
        *process.path,
    ]
    # The empty entry puts the image's own /bin last, for anything added to its contents.
    environment = append_path_to_environment(process.environment, [*store_paths, ""])
    for variable in environment:
        if not variable or "=" in variable or "\0" in variable:
            raise EvalError(f"environment variable name {variable!r} of process '{name}' cannot be set in an image")
    config: dict[str, Any] = {"Cmd": proxy.argv}
    if environment:
        config["Env"] = [f"{variable}={to_string(environment[variable])}" for variable in attr_names(environment)]
    if process.directory is not None:
        config["WorkingDir"] = process.directory
    image = {
        "name": name,
        "tag": "latest",
        "extraCommands": _TEMPLATES.get_template("image-setup.sh.j2").render(),
        "accounts": _accounts(in_output(credentials_dir) if manage_accounts else None, settings),
        "config": config,
    }
    container = {
        "name": name,
        "postInstall": process.post_install,
        "cmd": proxy.argv,
        "storePaths": store_paths,
        "dependencies": process.dependencies,
        "dockerImageTag": f"{name}:latest",
        "useHostNixStore": True,
        "useHostNetwork": True,
        "mapStateDirVolumes": [settings.state_dir],
    }
    return _Parts(image=image, container=container, files=files)


def _created(params: DockerContainerParams, process_name: str) -> Generated:
    """The container's files; its priority orders the containers that depend on it."""
    return Generated(
        name=_checked_name(params.name),
        files=create_docker_container(params, process_name),
        passthru={"priority": priority(params)},
        post_install=params.post_install,
    )


def priority(params: DockerContainerParams) -> int:
    """1 without dependencies, else one after the highest dependency's priority."""
    if not params.dependencies:
        return 1
    return max(dependency.ordering("priority") for dependency in params.dependencies) + 1


def create_docker_container(params: DockerContainerParams, process_name: str) -> dict[str, GeneratedFile | Symlink]:
    """createDockerContainer: ``<name>-docker-settings``, ``-docker-createparams``, ``NN-<name>-docker-priority``,
    and with the host's store ``<name>-docker-cmd`` and ``<name>-storepaths``.

    ``postInstall`` is build-time shell for whoever writes the output; it is
    not part of the files.
    """
    name = _checked_name(params.name)
    settings = _TEMPLATES.get_template("docker-settings.j2").render(
        image=params.docker_image, tag=params.docker_image_tag
    )
    lines = _TEMPLATES.get_template("lines.j2")
    output: dict[str, GeneratedFile | Symlink] = {
        f"{name}-docker-settings": GeneratedFile(settings),
        f"{name}-docker-createparams": GeneratedFile(lines.render(lines=create_arguments(params, process_name))),
        f"{priority(params):02d}-{name}-docker-priority": GeneratedFile(""),
    }
    if params.use_host_nix_store:
        if params.cmd not in ("", []):
            output[f"{name}-docker-cmd"] = GeneratedFile(to_string(params.cmd) + "\n")
        if params.store_paths:
            output[f"{name}-storepaths"] = GeneratedFile(lines.render(lines=params.store_paths))
    return output


def create_arguments(params: DockerContainerParams, process_name: str) -> list[str]:
    """The arguments ``docker create`` receives before ``--name``, one per createparams line.

    Order: the user's parameters, the host store volume, the host network,
    one volume per state directory, one ``--env`` per environment variable.
    """
    given = params.docker_create_parameters
    if isinstance(given, dict):
        options = [DockerCreateParameter(name=option, value=given[option]) for option in attr_names(given)]
    else:
        options = list(given)
    if params.use_host_nix_store:
        options.append(DockerCreateParameter(name="volume", value="/nix/store:/nix/store"))
    if params.use_host_network:
        options.append(DockerCreateParameter(name="network", value="host"))
    for directory in params.map_state_dir_volumes:
        if ":" in directory:
            raise EvalError(f"state directory {directory!r} of process '{process_name}' cannot be mapped with --volume")
        options.append(DockerCreateParameter(name="volume", value=f"{directory}:{directory}:z"))
    for variable in attr_names(params.environment):
        if not variable or "=" in variable:
            raise EvalError(f"environment variable name {variable!r} of process '{process_name}' cannot be passed to docker")
        options.append(DockerCreateParameter(name="env", value=f"{variable}={to_string(params.environment[variable])}"))
    arguments: list[str] = []
    for option in options:
        if not option.name:
            raise EvalError(f"a docker create parameter of process '{process_name}' has an empty name")
        arguments.append(("--" if len(option.name) > 1 else "-") + option.name)
        if "value" in option.model_fields_set:
            arguments.append(to_string(option.value))
    for argument in arguments:
        if "\n" in argument or "\0" in argument:
            raise EvalError(
                f"docker create parameter {argument!r} of process '{process_name}' spans lines; "
                "Dysnomia passes each line as one argument"
            )
    return arguments


def _checked_name(name: str) -> str:
    """The process name names the output and its files, so it must be a valid store path name."""
    try:
        check_store_path_name(name, name)
    except EvalError as error:
        raise EvalError(f"docker process name {name!r} cannot name its output: {error.message}") from None
    return name
