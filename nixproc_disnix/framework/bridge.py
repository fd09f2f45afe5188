"""The primops behind our nix-processmgmt framework files (``nixproc/native.nix``).

The framework's Nix code keeps upstream's function headers (so defaults,
unexpected arguments and laziness behave as in Nix) and hands the resolved
parameters to Python here. Values cross the boundary as plain data:

- strings lose their context, which is collected and handed back on one
  empty string, so whatever the files mention is still built and kept;
- derivations become their ``outPath`` (and, in ``dependencies``, a
  :class:`Dependency` carrying their name and ordering attributes);
- paths are copied to the store, as interpolating them in Nix would;
- functions (``overrides`` in function form) become Python callables that
  call back into Nix.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nixproc_disnix.backends.common.backend import (
    PROFILE_NAMES,
    Dependency,
    Generated,
    generate,
    generator,
    output_json,
    profile_files,
    with_process_info,
)
from nixproc_disnix.backends.common.credentials import dysnomia_support_files
from nixproc_disnix.backends.common.output import GeneratedFile
from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.compiler.eval.native import native_functions
from nixproc_disnix.compiler.eval.values import Attrs, CStr, NixPath, make_string
from nixproc_disnix.dysnomia.installed import modules_output
from nixproc_disnix.errors import EvalError, ThrownError
from nixproc_disnix.idassign.models import callable_value, nix_string, text
from nixproc_disnix.image.init_state import init_state_script
from nixproc_disnix.image.tools import python_environment, tools
from nixproc_disnix.model.credentials import Credentials
from nixproc_disnix.model.ids import Ids
from nixproc_disnix.model.process import ManagedProcess
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.model.validation import validate_as

ORDERING_ATTRIBUTES = ("sequence", "priority")
"""What dependents read of a generated output besides its name (upstream's ``dependency.<attr>``)."""


class _Converter:
    """Nix values to plain Python data, remembering every string context met on the way."""

    def __init__(self, ev: Any) -> None:
        self.ev = ev
        self.context: set[str] = set()

    def data(self, value: Any) -> Any:
        ev = self.ev
        value = ev.force(value)
        kind = type(value)
        if kind is CStr or kind is str:
            if kind is CStr:
                self.context.update(value.context)
            return text(value)
        if kind is NixPath:
            return self.string(value)
        if kind is list:
            return [self.data(item) for item in value]
        if kind is Attrs:
            if "outPath" in value:
                return self.string(value)
            if "__functor" in value:
                return self.function(value)
            return {text(name): self.data(value[name]) for name in sorted(value)}
        if value is None or kind in (bool, int, float):
            return value
        if callable_value(value):
            return self.function(value)
        raise EvalError(f"cannot pass a {kind.__name__} to a process generator")

    def string(self, value: Any) -> str:
        """What ``"${value}"`` gives: a derivation's outPath, a path copied into the store."""
        context: set[str] = set()
        result = self.ev.coerce_to_string(value, None, context)
        self.context.update(context)
        return text(result)

    def function(self, fn: Any) -> Callable[[dict[str, Any]], Any]:
        """A Nix function as an override hook: Python data in, Python data out."""

        def call(argument: dict[str, Any]) -> Any:
            return self.data(self.ev.call(fn, to_nix(argument)))

        return call

    def dependency(self, value: Any) -> Dependency:
        attrs = self.ev.force_attrs(value)
        passthru = {
            attribute: self.ev.force(attrs[attribute])
            for attribute in ORDERING_ATTRIBUTES
            if attribute in attrs and type(self.ev.force(attrs[attribute])) is int
        }
        name = text(self.ev.force_string_no_context(attrs["name"])) if "name" in attrs else ""
        return Dependency(name=name, out_path=self.string(attrs), passthru=passthru)


def to_nix(value: Any) -> Any:
    """Plain Python data (what a hook receives) back as a Nix value."""
    if isinstance(value, dict):
        return Attrs({nix_string(key): to_nix(item) for key, item in value.items()})
    if isinstance(value, list):
        return [to_nix(item) for item in value]
    if isinstance(value, Dependency):
        return Attrs({"name": nix_string(value.name), "outPath": nix_string(value.out_path), **value.passthru})
    if isinstance(value, str):
        return nix_string(value)
    return value


def _settings(converter: _Converter, settings: Any) -> BackendSettings:
    data = converter.data(settings)
    ids = data.pop("ids", None)
    return validate_as(BackendSettings, {
        "state_dir": data["stateDir"],
        "runtime_dir": data["runtimeDir"],
        "log_dir": data["logDir"],
        "tmp_dir": data["tmpDir"],
        "force_disable_user_change": data.get("forceDisableUserChange", False),
        "wait_ready": data.get("waitReady"),
        "ids": validate_as(Ids, {"ids": ids}, "ids") if ids else None,
    }, "state directories of createManagedProcess")


def _generate(ev: Any, pos: Any, process_manager: Any, settings: Any, args: Any) -> Attrs:
    """``generate pm settings args``: one backend's output for createManagedProcess's resolved args."""
    manager = text(ev.force_string_no_context(process_manager, pos))
    converter = _Converter(ev)
    backend_settings = _settings(converter, settings)
    attrs = ev.force_attrs(args, pos)
    data = {text(name): converter.data(attrs[name]) for name in attrs if name != "dependencies"}
    data["dependencies"] = [converter.dependency(item) for item in ev.force_list(attrs["dependencies"], pos)]
    process = validate_as(ManagedProcess, data, f"parameters of process '{data.get('name')}'")
    try:
        generated = generate(manager, process, backend_settings)
    except ThrownError as error:
        if error.pos is None:
            error.pos = pos
        raise
    return _generated_value(generated, converter.context)


def _create(ev: Any, pos: Any, process_manager: Any, function: Any, settings: Any, params: Any) -> Attrs:
    """``create pm function settings params``: a backend's native create function (``createSystemVInitScript``…).

    ``function`` names the module function (null: ``create``); a ``dependencies``
    parameter holds other outputs, passed on as :class:`Dependency` values.
    """
    manager = text(ev.force_string_no_context(process_manager, pos))
    name = "create" if ev.force(function) is None else text(ev.force_string_no_context(function, pos))
    converter = _Converter(ev)
    backend_settings = _settings(converter, settings)
    attrs = ev.force_attrs(params, pos)
    data = {text(key): converter.data(attrs[key]) for key in attrs if key != "dependencies"}
    if "dependencies" in attrs:
        data["dependencies"] = [converter.dependency(item) for item in ev.force_list(attrs["dependencies"], pos)]
    try:
        generated = getattr(generator(manager), name)(data, backend_settings)
    except ThrownError as error:
        if error.pos is None:
            error.pos = pos
        raise
    return _generated_value(with_process_info(generated, manager, data.get("dependencies", [])), converter.context)


def _credentials(ev: Any, pos: Any, composition: Any, credentials: Any) -> Attrs:
    """``credentials { ids; forceDisableUserChange; } { groups; users; }``: createCredentials' output."""
    converter = _Converter(ev)
    policy = converter.data(composition)
    accounts = validate_as(Credentials, converter.data(credentials), "credentials")
    ids = validate_as(Ids, {"ids": policy["ids"]}, "ids") if policy.get("ids") else None
    files = dysnomia_support_files(accounts, ids, bool(policy.get("forceDisableUserChange")))
    output = {f"dysnomia-support/{path}": GeneratedFile(content) for path, content in files.items()}
    return _generated_value(Generated("credentials", output), converter.context)


def _generated_value(generated: Generated, context: set[str]) -> Attrs:
    """What the framework turns into a derivation: the attributes of :func:`derivation_request`,
    the passthru attributes, and the inputs' context on an empty string."""
    return Attrs({
        "name": nix_string(generated.name),
        "files": generated.files_json(),
        "postInstall": nix_string(generated.post_install),
        **({"image": nix_string(generated.image)} if generated.image else {}),
        "passthru": Attrs({nix_string(key): to_nix(value) for key, value in generated.passthru.items()}),
        "context": make_string("", context),
    })


def _profile_files(ev: Any, pos: Any, process_manager: Any, names: Any) -> str:
    """``profileFiles pm names``: the manager's extra profile files, as a ``files`` attribute."""
    manager = text(ev.force_string_no_context(process_manager, pos))
    output_names = [text(ev.force_string_no_context(name, pos)) for name in ev.force_list(names, pos)]
    return output_json(profile_files(manager, output_names))


def _profile_name(ev: Any, pos: Any, process_manager: Any) -> str:
    """``profileName pm``: the name of the manager's deployment profile."""
    manager = text(ev.force_string_no_context(process_manager, pos))
    generator(manager)  # an unknown manager is an error here, as upstream has no builder for it
    return PROFILE_NAMES[manager]


def _image_init_state(ev: Any, pos: Any, dirs: Any) -> str:
    """``imageInitState { stateDir; runtimeDir; forceDisableUserChange; }``: the image steps' nixproc-init-state."""
    data = _Converter(ev).data(dirs)
    return init_state_script(validate_as(StateDirs, data, "image state directories"))


def _dysnomia_modules(ev: Any, pos: Any, arguments: Any) -> Attrs:
    """``dysnomiaModules {}``: the package of our Dysnomia modules, what ``nixproc dysnomia-modules`` builds."""
    return _generated_value(modules_output(), set())


def _python_environment(ev: Any, pos: Any, arguments: Any) -> Attrs:
    """``pythonEnvironment {}``: links to this installation's Python packages, what our tools run with."""
    return _generated_value(python_environment(), set())


def _tools(ev: Any, pos: Any, environment: Any) -> Attrs:
    """``tools environment``: our console scripts, run with the packages of ``environment`` (a derivation)."""
    converter = _Converter(ev)
    return _generated_value(tools(converter.string(environment)), converter.context)


def native_module() -> Attrs:
    """The value of ``nixproc/native.nix`` in our evaluator."""
    return native_functions("nixproc", {
        "generate": (3, _generate),
        "create": (4, _create),
        "credentials": (2, _credentials),
        "profileFiles": (2, _profile_files),
        "profileName": (1, _profile_name),
        "dysnomiaModules": (1, _dysnomia_modules),
        "imageInitState": (1, _image_init_state),
        "pythonEnvironment": (1, _python_environment),
        "tools": (1, _tools),
    })
