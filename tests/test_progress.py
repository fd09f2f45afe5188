"""Progress steps: counted per phase across threads, remembered by StepLog, told by the builder."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from nixproc_disnix.compiler.eval.evaluator import Evaluator
from nixproc_disnix.progress import PhaseCounter, Step, StepLog
from nixproc_disnix.store.builder import build
from nixproc_disnix.store.store import Store


def test_a_phase_counts_finished_steps_and_a_failed_one_stays_uncounted() -> None:
    steps: list[Step] = []
    counter = PhaseCounter(steps.append, "start", 2)
    with counter.step("a"):
        pass
    with pytest.raises(RuntimeError), counter.step("b"):
        raise RuntimeError("b fails")
    assert steps == [
        Step("start", "a", 0, 2, False), Step("start", "a", 1, 2, True), Step("start", "b", 1, 2, False),
    ]


def test_parallel_steps_are_told_one_at_a_time_with_a_rising_count() -> None:
    steps: list[Step] = []
    inside = threading.Lock()

    def progress(step: Step) -> None:
        assert inside.acquire(blocking=False), "two threads told at once"
        steps.append(step)
        inside.release()

    counter = PhaseCounter(progress, "stop", 20)

    def work(name: str) -> None:
        with counter.step(name):
            pass

    threads = [threading.Thread(target=work, args=(f"p{index}",)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [step.done for step in steps if step.finished] == list(range(1, 21))
    assert sorted(step.name for step in steps if step.finished) == sorted(f"p{index}" for index in range(20))


def test_without_progress_a_step_only_runs_its_body() -> None:
    ran = []
    with PhaseCounter(None, "build", 1).step("x"):
        ran.append("x")
    assert ran == ["x"]


def test_step_log_remembers_finished_steps_per_phase_and_forwards_all() -> None:
    forwarded: list[Step] = []
    log = StepLog(forwarded.append)
    for step in (Step("build", "a", 0, 1, False), Step("build", "a", 1, 1, True), Step("start", "w", 1, 1, True)):
        log(step)
    assert log.finished("build") == ["a"] and log.finished("start") == ["w"] and log.finished("stop") == []
    assert len(forwarded) == 3


MODEL = """
let
  dep = derivation { name = "dep"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo dep > $out" ]; };
in derivation { name = "top"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo ${dep} > $out" ]; }
"""


def test_the_builder_tells_each_derivation_it_builds_and_nothing_on_a_rebuild(tmp_path: Path) -> None:
    with Store(str(tmp_path / "root")) as store:
        evaluator = Evaluator(store=store)
        drv_path = str(evaluator.force(evaluator.force_attrs(evaluator.eval_string(MODEL))["drvPath"]))
        steps: list[Step] = []
        build(store, drv_path, steps.append)
        assert [(step.name.rsplit("-", 1)[1], step.done, step.total, step.finished) for step in steps] == [
            ("dep.drv", 0, 2, False), ("dep.drv", 1, 2, True), ("top.drv", 1, 2, False), ("top.drv", 2, 2, True),
        ]
        again: list[Step] = []
        build(store, drv_path, again.append)
        assert again == []
