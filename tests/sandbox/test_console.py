"""The console and the demo script, as a user runs them."""

import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.console import Console, ConsoleError
from sandbox.runtime import start_sandbox

ROOT = Path(__file__).resolve().parents[2]


def test_demo_script_passes_through_the_cli(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--script", str(ROOT / "demo.txt")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "FAILED" not in result.stdout
    assert "(inbox) aws.cloudwatch / CloudWatch Alarm Notification" in result.stdout


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("console")
    box = start_sandbox(workdir)
    console = Console(box, workdir)
    yield console
    console.close()
    box.stop()


def test_failed_expectation_and_unknown_command_fail_the_step(session):
    session.run("/backup help")
    with pytest.raises(ConsoleError, match="expected 'nothing like this'"):
        session.run("expect nothing like this")
    with pytest.raises(ConsoleError, match="unknown console command"):
        session.run("dance")
    with pytest.raises(ConsoleError, match="no user"):
        session.run("as mallory")


def test_press_and_submit_need_something_to_act_on(session):
    session.run("/cluster help")
    with pytest.raises(ConsoleError, match="the last output has 0 buttons"):
        session.run("press 1")
    with pytest.raises(ConsoleError, match="no modal is open"):
        session.run("submit reason.value=because")


def test_a_script_that_fails_exits_non_zero(tmp_path):
    script = tmp_path / "bad.txt"
    script.write_text("/backup help\nexpect a line that is not there\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--script", str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "FAILED at bad.txt:2" in result.stdout and "1 step(s) failed" in result.stderr
