"""nixproc-generate-config speed: 1,000 agnostic processes to every backend's files.

Usage: PYTHONPATH=. python benchmarks/generate_config.py [--count N] [--managers sysvinit,systemd,...]

A processes model of N processes (each with arguments, environment, a user
and credentials, process i depending on process i // 2: a chain with
fan-out) is evaluated once agnostically; its JSON configurations are
written where their store paths say, as a target machine receives them.
Then, per process manager:

- ours: ``nixproc-generate-config``'s work in-process (each JSON read,
  resolved, generated, its derivation computed), no Nix evaluation;
- baseline: evaluating the same model for that manager (every process's
  output path forced), as ``nixproc-build`` does before building.

Prints ``name: ours X s, baseline Y s, ratio Z`` per manager, plus the
time per process (goal: under 5 ms).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from nixproc_disnix.backends.common.settings import BackendSettings
from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.framework import install, search_path_entry
from nixproc_disnix.framework.from_config import ConfigGenerator, config_file_of
from nixproc_disnix.model.process import PROCESS_MANAGERS

MODEL = """
{ processManager }:

let
  createManagedProcess = import <nix-processmgmt/nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    pkgs = {}; stateDir = "/var"; runtimeDir = "/var/run"; logDir = "/var/log"; tmpDir = "/tmp";
    inherit processManager;
  };

  process = i: createManagedProcess {
    instanceName = "process${toString i}";
    description = "Benchmark process ${toString i}";
    process = "/bin/sleep";
    args = [ "1000" ];
    foregroundProcessArgs = [ "1000" ];
    environment = { PORT = 5000 + i; NAME = "process${toString i}"; };
    user = "process${toString i}";
    credentials = {
      groups."process${toString i}" = {};
      users."process${toString i}" = { group = "process${toString i}"; description = "Process ${toString i}"; };
    };
    dependencies = if i == 0 then [] else [ (builtins.elemAt processes (i / 2)) ];
  };

  processes = builtins.genList process COUNT;
in
processes
"""


def evaluate(model: str, process_manager: str | None, store_dir: str) -> list[tuple[str, str]]:
    """Every process's (out path, files attribute) for ``process_manager`` (None: agnostic)."""
    ev = Evaluator(search_path=[search_path_entry()], store_dir=store_dir)
    install(ev)
    manager = "null" if process_manager is None else f'"{process_manager}"'
    processes = ev.force(ev.eval_string(f"import {model} {{ processManager = {manager}; }}"))
    result = []
    for item in processes:
        pkg = ev.force(item)
        result.append((str(ev.force(pkg["outPath"])), str(ev.force(pkg["files"]))))
    return result


def write_configs(agnostic: list[tuple[str, str]]) -> list[str]:
    """Put each agnostic output's JSON where its store path says; the config files, in model order."""
    for out_path, files in agnostic:
        os.makedirs(out_path, exist_ok=True)
        for relative, entry in json.loads(files).items():
            with open(os.path.join(out_path, relative), "w", encoding="utf-8") as handle:
                handle.write(entry["content"])
    return [config_file_of(out_path) for out_path, _ in agnostic]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--managers", default=",".join(PROCESS_MANAGERS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="generate-config-bench-") as tmp:
        store_dir = os.path.join(tmp, "store")
        model = os.path.join(tmp, "processes.nix")
        with open(model, "w", encoding="utf-8") as handle:
            handle.write(MODEL.replace("COUNT", str(args.count)))
        configs = write_configs(evaluate(model, None, store_dir))
        for manager in args.managers.split(","):
            start = time.perf_counter()
            generator = ConfigGenerator(manager, BackendSettings(), store_dir)
            from_json = [generator.process(config)[1] for config in configs]
            ours = time.perf_counter() - start
            start = time.perf_counter()
            from_model = [out_path for out_path, _ in evaluate(model, manager, store_dir)]
            baseline = time.perf_counter() - start
            if from_json != from_model:
                print(f"{manager}: generate-config and the model disagree on output paths", file=sys.stderr)
                return 1
            print(f"generate-config {manager} ({args.count} processes, "
                  f"{ours / args.count * 1000:.2f} ms each): ours {ours:.3f} s, baseline {baseline:.3f} s, "
                  f"ratio {ours / baseline:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
