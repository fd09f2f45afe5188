"""How a command shows its progress: a bar per phase on a terminal, plain lines in a log, or only messages."""
from __future__ import annotations

from types import TracebackType

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from ..progress import Phase, Step
from ..store.paths import store_name

VERBS: dict[Phase, tuple[str, str]] = {
    "build": ("building", "derivations built"),
    "stop": ("stopping", "processes stopped"),
    "start": ("starting", "processes started"),
}
"""What a phase's bar says while a step runs, and once all are done."""


def plain_line(step: Step) -> str:
    """The line a beginning step is logged as: Nix's ``building '<drv>'...``, else ``<verb> <process>``."""
    if step.phase == "build":
        return f"building '{step.name}'..."
    return f"{VERBS[step.phase][0]} {step.name}"


class ProgressDisplay:
    """A command's progress (:data:`~nixproc_disnix.progress.Progress`) and report lines, shown in one place.

    Used as a context manager around the work. When standard error is a
    terminal and not ``quiet``, each phase gets a bar: steps finished of the
    total, what runs now, time taken. Otherwise each step that begins is one
    plain line (:func:`plain_line`), and ``quiet`` leaves those out too.
    Reported lines (process output, warnings) are always shown, above the bars.
    """

    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self._bars: Progress | None = None
        self._tasks: dict[Phase, TaskID] = {}
        self._complete: set[Phase] = set()

    @property
    def animated(self) -> bool:
        """Whether steps are shown as bars (a terminal, not ``quiet``)."""
        return self.console.is_terminal and not self.console.is_dumb_terminal and not self.quiet

    def __enter__(self) -> ProgressDisplay:
        if self.animated:
            self._bars = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=self.console,
            )
            self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def report(self, line: str) -> None:
        """A :data:`~nixproc_disnix.backends.common.switcher.Report`: one line of output or a warning."""
        if self._bars is not None:
            self._bars.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            click.echo(line, err=True)

    def __call__(self, step: Step) -> None:
        if self._bars is None:
            if not self.quiet and not step.finished:
                click.echo(plain_line(step), err=True)
            return
        task = self._tasks.get(step.phase)
        if task is None or (step.phase in self._complete and not step.finished):
            task = self._tasks[step.phase] = self._bars.add_task("", total=step.total)
            self._complete.discard(step.phase)
        verb, done = VERBS[step.phase]
        if step.done == step.total:
            self._complete.add(step.phase)
            description = done
        else:
            description = f"{verb} {store_name(step.name).removesuffix('.drv')}"
        self._bars.update(task, completed=step.done, description=description)
