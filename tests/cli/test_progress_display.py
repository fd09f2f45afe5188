"""ProgressDisplay: bars on a terminal, plain step lines in a log, nothing but messages with --quiet."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from nixproc_disnix.cli.progress import ProgressDisplay, plain_line
from nixproc_disnix.progress import Step

DRV = "/s/store/0123456789abcdfghijklmnpqrsvwxyz-webapp.drv"
STEPS = [
    Step("build", DRV, 0, 1, False), Step("build", DRV, 1, 1, True),
    Step("start", "webapp1", 0, 2, False), Step("start", "webapp1", 1, 2, True),
    Step("start", "webapp2", 1, 2, False), Step("start", "webapp2", 2, 2, True),
]


def terminal() -> tuple[Console, io.StringIO]:
    output = io.StringIO()
    return Console(file=output, force_terminal=True, width=100, color_system=None), output


def test_a_terminal_gets_a_bar_per_phase_and_reported_lines_above_them() -> None:
    console, output = terminal()
    with ProgressDisplay(console=console) as display:
        assert display.animated
        for step in STEPS[:3]:
            display(step)
        display.report("webapp1: listening")
        for step in STEPS[3:]:
            display(step)
    shown = output.getvalue()
    assert "webapp1: listening" in shown
    assert "derivations built" in shown and "1/1" in shown
    assert "processes started" in shown and "2/2" in shown


def test_a_phase_that_runs_again_gets_a_new_bar() -> None:
    console, output = terminal()
    with ProgressDisplay(console=console) as display:
        for step in STEPS[:2] + STEPS[:2]:
            display(step)
    assert output.getvalue().count("derivations built") >= 2


@pytest.mark.parametrize("quiet", [False, True])
def test_a_log_gets_one_plain_line_per_step_begun_unless_quiet(quiet: bool, capsys: pytest.CaptureFixture[str]) -> None:
    with ProgressDisplay(quiet) as display:
        assert not display.animated
        for step in STEPS:
            display(step)
        display.report("warning: something")
    lines = capsys.readouterr().err.splitlines()
    expected = [f"building '{DRV}'...", "starting webapp1", "starting webapp2"]
    assert lines == ([] if quiet else expected) + ["warning: something"]


def test_quiet_on_a_terminal_shows_no_bars() -> None:
    console, output = terminal()
    with ProgressDisplay(True, console) as display:
        assert not display.animated
        display(STEPS[0])
    assert output.getvalue() == ""


def test_plain_lines_say_what_begins() -> None:
    assert plain_line(Step("stop", "nginx", 0, 3, False)) == "stopping nginx"
    assert plain_line(STEPS[0]) == f"building '{DRV}'..."
