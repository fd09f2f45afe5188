"""Dysnomia's ``managed-process`` module: an agnostic process, deployed with the target's own process manager (SPEC §6.2, §4.4).

The component holds agnostic configurations (``<name>.json``, what
createManagedProcess makes with ``processManager = null``). The container
property ``processManager`` names the target's manager; the module turns
the configurations into that manager's files exactly as
``nixproc-generate-config`` does (into our store: ``NIXPROC_STORE_DIR`` or
the default one) and hands the activity, with the generated path, to the
manager's module; before an activation it creates the state directories
as ``nixproc-init-state`` does. ``lock`` and ``unlock`` need no conversion
and succeed at once.

Container properties: ``processManager`` (required), ``stateDir``,
``runtimeDir``, ``logDir``, ``tmpDir``, ``cacheDir`` as the directories, and
(our addition) ``forceDisableUserChange=1`` for targets where processes
must not switch user. Unlike upstream, ``s6-rc`` is supported
(``s6-rc-service``) and ``cacheDir`` is not passed as the log directory.
"""
from __future__ import annotations

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.compiler.services import dysnomia_type
from nixproc_disnix.deploy.state import init_state
from nixproc_disnix.dysnomia.module import ModuleCall
from nixproc_disnix.dysnomia.modules import run_module
from nixproc_disnix.errors import DeployError, EvalError
from nixproc_disnix.framework import search_path_entry
from nixproc_disnix.framework.from_config import ConfigGenerator, config_files_in
from nixproc_disnix.model.state_dirs import StateDirs
from nixproc_disnix.store.store import open_store


def manager_module(process_manager: str) -> str:
    """The module type of a process manager's output, from the framework's ``derive-dysnomia-process-type.nix``."""
    try:
        return dysnomia_type(Evaluator(search_path=[search_path_entry()]), process_manager)
    except EvalError as error:
        raise DeployError(f"managed-process: {error.message}") from None


def _state_dirs(call: ModuleCall) -> StateDirs:
    return StateDirs(
        state_dir=call.get("stateDir"),
        runtime_dir=call.get("runtimeDir"),
        log_dir=call.get("logDir"),
        tmp_dir=call.get("tmpDir"),
        cache_dir=call.get("cacheDir"),
        force_disable_user_change=call.flag("forceDisableUserChange"),
    )


def generated_component(call: ModuleCall, process_manager: str) -> str:
    """The component's configurations generated for ``process_manager``: one output, or a profile of several."""
    settings = _state_dirs(call).backend_settings()
    try:
        with open_store(call.get("NIXPROC_STORE_DIR")) as store:
            return ConfigGenerator(process_manager, settings, store.store_dir).realise(
                store, config_files_in(call.component)
            )
    except EvalError as error:
        raise DeployError(f"managed-process: {error.message}") from None


def _delegate(call: ModuleCall) -> None:
    process_manager = call.get("processManager")
    if process_manager is None:
        raise DeployError("managed-process: the container has no processManager property")
    module = manager_module(process_manager)
    generated = generated_component(call, process_manager)
    if call.activity == "activate":
        init_state(_state_dirs(call))
    run_module(ModuleCall(
        type=module, activity=call.activity, component=generated, container=call.container,
        environment=call.environment, report=call.report,
    ))


activate = deactivate = snapshot = restore = collect_garbage = shell = _delegate
