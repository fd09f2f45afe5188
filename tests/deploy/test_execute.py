"""The switch executor against a recording switcher: order, parallel levels, rollback, recording."""
from __future__ import annotations

import threading
import time

import pytest

from nixproc_disnix.backends.common.switcher import ProcessStatus
from nixproc_disnix.deploy.plan import plan_switch
from nixproc_disnix.deploy.switch import execute
from nixproc_disnix.errors import DeployError
from nixproc_disnix.model.deployed_profile import DeployedProcess, DeployedProfile

EMPTY = DeployedProfile()


def process(name: str, version: str = "1", *dependencies: str) -> DeployedProcess:
    return DeployedProcess(name=name, process_manager="sysvinit", out_path=f"/s/{version}-{name}",
                           dependencies=dependencies)


def profile(*processes: DeployedProcess) -> DeployedProfile:
    return DeployedProfile(path="/s/p", processes={p.name: p for p in processes})


class Recorder:
    """A switcher that logs calls as ``start a@1``; the ``name@version`` keys of ``fail`` fail that activity."""

    def __init__(self, fail: dict[str, str] | None = None, never_running: frozenset[str] = frozenset(),
                 delay: float = 0.0) -> None:
        self.events: list[str] = []
        self.fail = fail or {}
        self.never_running = never_running
        self.delay = delay
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def _call(self, activity: str, process: DeployedProcess) -> None:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(self.delay)
        label = f"{process.name}@{process.out_path.split('/')[-1].split('-')[0]}"
        with self.lock:
            self.running -= 1
            self.events.append(f"{activity} {label}")
        if self.fail.get(label) == activity:
            raise DeployError(f"cannot {activity} {process.name}")

    def stop(self, process: DeployedProcess) -> None:
        self._call("stop", process)

    def start(self, process: DeployedProcess) -> None:
        self._call("start", process)

    def activate(self, profile: DeployedProfile, previous: DeployedProfile) -> None:
        self.events.append(f"activate {sorted(profile.processes)}")

    def status(self, process: DeployedProcess) -> ProcessStatus:
        return ProcessStatus.STOPPED if process.name in self.never_running else ProcessStatus.RUNNING


OLD = profile(process("a"), process("b", "1", "a"), process("c", "1", "b"))
NEW = profile(process("a"), process("b", "2", "a"), process("c", "2", "b"), process("d", "2", "a"))


def run(switcher: Recorder, old: DeployedProfile = OLD, new: DeployedProfile = NEW, **options: float) -> list[str]:
    """Execute the plan from ``old`` to ``new``; the report lines."""
    lines: list[str] = []
    recorded: list[str] = []
    execute(plan_switch(old, new, manage_accounts=False), old, new, switcher,
            lambda: recorded.append("recorded"), lines.append, **options)  # type: ignore[arg-type]
    switcher.events += recorded
    return lines


def test_stops_then_activates_then_starts_in_dependency_order() -> None:
    recorder = Recorder()
    run(recorder)
    assert recorder.events[:4] == ["stop c@1", "stop b@1", "activate ['a', 'b', 'c', 'd']", "start b@2"]
    assert sorted(recorder.events[4:6]) == ["start c@2", "start d@2"]
    assert recorder.events[6:] == ["recorded"]


def test_independent_processes_start_in_parallel_up_to_the_limit() -> None:
    wide = profile(*(process(f"p{i}") for i in range(6)))
    parallel = Recorder(delay=0.2)
    run(parallel, EMPTY, wide, max_concurrent=3)
    assert parallel.most_at_once == 3
    sequential = Recorder(delay=0.01)
    run(sequential, EMPTY, wide, max_concurrent=1)
    assert sequential.most_at_once == 1


def test_a_failed_start_rolls_everything_back() -> None:
    recorder = Recorder(fail={"c@2": "start"})
    lines: list[str] = []
    with pytest.raises(DeployError) as error:
        execute(plan_switch(OLD, NEW, False), OLD, NEW, recorder, lambda: recorder.events.append("recorded"),
                lines.append, max_concurrent=2)
    assert error.value.message == "cannot start c; rolled back to the previous deployment"
    assert "recorded" not in recorder.events
    undo = recorder.events[recorder.events.index("start b@2") + 3:]
    assert sorted(undo[:2]) == ["stop c@2", "stop d@2"], "the failed start is stopped too"
    assert undo[2:] == ["stop b@2", "activate ['a', 'b', 'c']", "start b@1", "start c@1"]
    assert lines[0].startswith("rolling back: ")


def test_a_process_that_does_not_come_up_fails_the_switch() -> None:
    recorder = Recorder(never_running=frozenset({"d"}))
    with pytest.raises(DeployError, match="d was started but is not running; rolled back"):
        run(recorder, start_timeout=0.3)
    assert recorder.events[-2:] == ["start b@1", "start c@1"]


def test_a_failed_stop_restarts_what_was_stopped() -> None:
    recorder = Recorder(fail={"b@1": "stop"})
    with pytest.raises(DeployError, match="cannot stop b; rolled back"):
        run(recorder)
    assert recorder.events == ["stop c@1", "stop b@1", "start c@1"]


def test_failed_undo_steps_are_counted() -> None:
    recorder = Recorder(fail={"c@2": "start", "c@1": "start"})
    with pytest.raises(DeployError) as error:
        run(recorder, OLD, profile(process("a"), process("b", "1", "a"), process("c", "2", "b")))
    assert error.value.message == "cannot start c; rollback incomplete: 1 step(s) failed, see above"


def test_a_failing_record_rolls_back() -> None:
    recorder = Recorder()

    def broken_record() -> None:
        raise DeployError("cannot record")

    with pytest.raises(DeployError, match="cannot record; rolled back"):
        execute(plan_switch(EMPTY, OLD, False), EMPTY, OLD, recorder, broken_record, lambda line: None)
    assert recorder.events[-4:] == ["stop c@1", "stop b@1", "stop a@1", "activate []"]


def test_a_bug_still_rolls_back_and_propagates() -> None:
    recorder = Recorder()

    def buggy(process: DeployedProcess) -> ProcessStatus:
        raise KeyError("bug")

    recorder.status = buggy  # type: ignore[method-assign]
    with pytest.raises(KeyError):
        run(recorder, EMPTY, profile(process("a")))
    assert recorder.events == ["activate ['a']", "start a@1", "stop a@1", "activate []"]


class Resuming(Recorder):
    """A switcher on which the processes in ``down`` do not run until started; all others run."""

    def __init__(self, down: set[str], fail: dict[str, str] | None = None) -> None:
        super().__init__(fail)
        self.down = down

    def start(self, process: DeployedProcess) -> None:
        super().start(process)
        self.down.discard(process.name)

    def status(self, process: DeployedProcess) -> ProcessStatus:
        return ProcessStatus.STOPPED if process.name in self.down else ProcessStatus.RUNNING


# The interrupted switch stopped c@1 and x@1, started b@2 and e@2.
INTERRUPTED = profile(process("a"), process("b", "2", "a"), process("c", "2", "b"), process("e", "2", "a"))
BEFORE = profile(*OLD.processes.values(), process("x"))
AFTER = profile(*NEW.processes.values(), process("x"))


def test_what_an_interrupted_switch_left_is_stopped_and_what_runs_is_not_started_again() -> None:
    recorder = Resuming(down={"c", "x"})
    settled: list[str] = []
    execute(plan_switch(BEFORE, AFTER, False, [INTERRUPTED]), BEFORE, AFTER, recorder,
            lambda: recorder.events.append("recorded"), lambda line: None, settle=lambda: settled.append("settled"))
    assert recorder.events[:1] == ["stop e@2"] and recorder.events[1:3] == ["stop c@1", "stop b@1"]
    assert recorder.events[4:] == ["start x@1", "start d@2", "start c@2", "recorded"], "b@2 runs already"
    assert settled == ["settled"]


def test_a_rollback_after_an_interrupted_switch_keeps_its_leftovers_stopped() -> None:
    recorder = Resuming(down={"c", "x", "d"}, fail={"d@2": "start"})
    settled: list[str] = []
    with pytest.raises(DeployError, match="cannot start d; rolled back"):
        execute(plan_switch(BEFORE, AFTER, False, [INTERRUPTED]), BEFORE, AFTER, recorder, lambda: None,
                lambda line: None, settle=lambda: settled.append("settled"))
    undo = recorder.events[recorder.events.index("start d@2") + 1:]
    assert undo == ["stop d@2", "stop b@2", "activate ['a', 'b', 'c', 'x']", "start b@1", "start c@1"]
    assert "start e@2" not in undo and "stop x@1" not in undo and settled == ["settled"]


def test_a_no_op_switch_leaves_the_manager_alone() -> None:
    recorder = Recorder()
    run(recorder, OLD, OLD)
    assert recorder.events == ["recorded"]
