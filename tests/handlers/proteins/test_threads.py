"""Lance's compute threads, which set how many index partitions a search reads at once."""

import os
import subprocess
import sys

from handlers.proteins.threads import MIN_SEARCH_THREADS, VARIABLE, configure_lance_threads


def test_unset_gets_at_least_the_search_minimum() -> None:
    environ: dict[str, str] = {}
    threads = configure_lance_threads(environ)
    assert threads == max((os.cpu_count() or 1) - 2, MIN_SEARCH_THREADS)
    assert environ == {VARIABLE: str(threads)}


def test_the_operators_value_is_kept() -> None:
    environ = {VARIABLE: "3"}
    assert configure_lance_threads(environ) == 3
    assert environ == {VARIABLE: "3"}


def test_a_value_lance_would_panic_on_is_replaced(caplog) -> None:
    for bad in ("", "eight", "0", "-2"):
        environ = {VARIABLE: bad}
        threads = configure_lance_threads(environ)
        assert environ[VARIABLE] == str(threads) and threads >= MIN_SEARCH_THREADS
    assert VARIABLE in caplog.text


def test_importing_the_package_sets_it_before_lance_runs(tmp_path) -> None:
    # In a fresh interpreter: a value Lance cannot parse would make its first table operation panic.
    script = (
        "import handlers.proteins, lancedb, os\n"
        f"db = lancedb.connect({str(tmp_path)!r})\n"
        "db.create_table('t', data=[{'x': 1}]).to_arrow()\n"
        f"print(os.environ[{VARIABLE!r}])\n"
    )
    env = {**os.environ, VARIABLE: "not-a-number"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= MIN_SEARCH_THREADS
