"""A capability is one object in one list: given to the kernel, it gets its command, tasks, jobs and workers, a
table migrated from its own folder, and its doctor check and probe in `opsbot doctor`.

The toy capability (tests/toy_capability/) is its folder and nothing else: each test adds it to the composition
root's list, as adding a real one adds one line to opsbot/capabilities.py.
"""

from __future__ import annotations

import re
from dataclasses import replace

from click.testing import CliRunner
from sqlalchemy import inspect

from bot.app import build_app
from bot.cli import Composition, main
from bot.deps import build_deps
from opsbot.capabilities import CAPABILITIES
from scheduler import bound_tasks, build_scheduler, register_jobs
from tests.conftest import MALLORY, POLICY
from tests.harness import BoltDriver, opsbot_env
from tests.toy_capability import Toy, notes


def test_a_capability_given_to_the_kernel_gets_its_command_tasks_and_jobs(settings, deps, requests_, fake_slack):
    toy = Toy()
    capabilities = [*CAPABILITIES, toy.capability()]
    deps.db.migrate(capabilities)

    driver = BoltDriver(build_app(settings, deps, capabilities), requests_)
    assert driver.command("/toy", "ping", user=MALLORY).status == 200
    assert fake_slack.wait_for("response_url").body["text"] == "pong"

    tasks = bound_tasks(deps, capabilities)
    assert "toy.tick" in tasks and "failover.due" in tasks  # its own beside the others'
    scheduler = build_scheduler(deps.db, tasks)
    try:
        assert "toy.tick" in register_jobs(scheduler, deps, capabilities)
        tasks["toy.tick"](*scheduler.get_job("toy.tick").args[1:])  # what the stored job would run
    finally:
        scheduler.shutdown(wait=False)
    assert notes(deps.db) == ["hello"]  # written to its own table, read back through the real database


def test_an_existing_database_gains_the_capabilitys_branch_and_keeps_the_kernels(database):
    # `database` is migrated for the composition root's capabilities: the kernel's chain, at its head.
    toy = Toy().capability()
    assert "toy_notes" not in inspect(database.engine).get_table_names()
    database.migrate([*CAPABILITIES, toy])
    database.migrate([*CAPABILITIES, toy])  # a second run finds every branch at its head
    assert "toy_notes" in inspect(database.engine).get_table_names()
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    # The subscriptions branch depends on the kernel's 0012, so Alembic keeps its row in place of the kernel's.
    assert sorted(rows) == ["subscriptions_0003", "toy_0001"]


def test_the_kernel_runs_a_capabilitys_worker_from_start_to_close(settings):
    toy = Toy()
    capabilities = [*CAPABILITIES, toy.capability()]
    deps = build_deps(settings, policy=POLICY)
    deps.db.migrate(capabilities)
    build_app(settings, deps, capabilities)
    assert toy.worker.running and toy.worker.starts == 1
    deps.close()
    assert not toy.worker.running


def test_opsbot_doctor_checks_a_capabilitys_schema_resources_and_permissions(fake_slack, tmp_path, moto_url):
    env = opsbot_env(fake_slack, tmp_path, AWS_ENDPOINT_URL=moto_url)
    without_toy, with_toy = Composition(CAPABILITIES), Composition((*CAPABILITIES, Toy().capability()))

    def opsbot(composition: Composition, *args: str):
        result = CliRunner().invoke(main, list(args), env=env, obj=composition)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    # A database the bot migrated before the toy was added: doctor names the branch it lacks.
    assert opsbot(without_toy, "db", "upgrade").exit_code == 0
    stale = opsbot(with_toy, "doctor")
    assert stale.exit_code == 1
    expected = (
        "FAIL  database: schema at subscriptions_0003, code expects 0012, subscriptions_0003, toy_0001: "
        "run `opsbot db upgrade`"
    )
    assert expected in stale.output
    assert "FAIL  toy notes: (sqlite3.OperationalError) no such table: toy_notes" in stale.output

    assert opsbot(with_toy, "db", "upgrade").exit_code == 0
    result = opsbot(with_toy, "doctor")
    assert result.exit_code == 0, result.output
    assert "PASS  database: schema at 0012, subscriptions_0003, toy_0001" in result.output
    assert re.search(r"^PASS  toy notes: 0 written, alarms (seen|none)$", result.output, re.M), result.output
    assert "PASS  permission sts:GetCallerIdentity: allowed" in result.output

    # A doctor-only read the capability did not declare is refused: the deployment policy would not grant it.
    undeclared = Composition((*CAPABILITIES, replace(Toy().capability(), doctor_reads=frozenset())))
    refused = opsbot(undeclared, "doctor")
    assert refused.exit_code == 1
    assert "FAIL  toy resources: cloudwatch:DescribeAlarms: declared in no doctor_reads" in refused.output
