"""/backup run and restore apply queue one-off jobs on the shared scheduler: once per double click, through a
restart, and never on a listener thread (a process without a scheduler says so)."""

import json

import pytest

from bot.app import build_app
from bot.deps import build_deps
from handlers.backups.engine import FULL
from handlers.backups.queued import RUN_NOW, restore_job_id
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import ADMIN, SIGNING_SECRET
from sandbox.slack_requests import SlackRequests
from sandbox.world import DOMAIN_ID, RECOVERY_DOMAIN_ID
from scheduler import bound_tasks, build_scheduler
from scheduler.tasks import LONG
from tests.handlers.backups.helpers import command, reply
from tests.harness import BoltDriver, eventually


@pytest.fixture
def unscheduled(bot):
    """The app of a second process over the same database that runs no scheduler (nothing attached to its jobs)."""
    deps = build_deps(bot["settings"])
    app = build_app(bot["settings"], deps, CAPABILITIES)
    yield BoltDriver(app, SlackRequests(SIGNING_SECRET))
    deps.close()


def _apply(bot, driver, plan_id):
    """A click on the confirm button of `plan_id`."""
    value = json.dumps({"plan": plan_id})
    driver.click("backups.apply_plan", user=ADMIN, value=value, response_url=bot["box"].slack.response_url())


def _posted(bot, text):
    return [c for c in bot["box"].slack.calls_to("chat.postMessage") if text in c.body.get("text", "")]


def test_without_a_scheduler_a_run_or_restore_is_refused_and_nothing_runs(bot, unscheduled):
    slack = bot["box"].slack
    unscheduled.command("/backup", "run", user=ADMIN, response_url=slack.response_url())
    refused = json.dumps(reply(bot, lambda b: "runs no scheduler" in b).body)
    assert "cannot run a backup from Slack" in refused and "opsbot backup run" in refused

    bot["service"].run(FULL, "test")
    plan = bot["service"].plan(RECOVERY_DOMAIN_ID, ADMIN)
    _apply(bot, unscheduled, plan.plan_id)
    refused = reply(bot, lambda b: "cannot apply a restore plan" in b)
    assert f"opsbot backup restore apply {plan.plan_id}" in json.dumps(refused.body)

    assert [r.trigger for r in bot["service"].store.recent(DOMAIN_ID)] == ["test"]  # only the test's own run
    assert bot["service"].get_plan(plan.plan_id).status == "planned"
    assert bot["scheduler"].get_jobs() == []
    assert _posted(bot, "started a full catalog backup") == [] and _posted(bot, "is restoring") == []


def test_a_double_click_on_run_queues_one_job_whose_thread_gets_the_result(bot):
    slack = bot["box"].slack
    command(bot, "run", ADMIN)
    reply(bot, lambda b: "backup is queued;" in b)
    command(bot, "run", ADMIN)  # the scheduler is paused, as on a replica that does not lead: the job waits
    reply(bot, lambda b: "is queued already" in b)
    assert [job.id for job in bot["scheduler"].get_jobs()] == [RUN_NOW]
    # Hours of work on its own threads: the every-minute jobs never queue behind it.
    assert bot["scheduler"].get_job(RUN_NOW).executor == LONG

    bot["scheduler"].resume()  # this replica leads now
    done = slack.wait_for("chat.update", lambda c: "succeeded" in c.body.get("text", ""), timeout=90)
    [run] = bot["service"].store.recent(DOMAIN_ID)
    assert (run.trigger, run.status) == (ADMIN, "succeeded") and run.run_id in done.body["text"]
    [started] = _posted(bot, "started a full catalog backup")
    eventually(lambda: any(c.body.get("thread_ts") == done.body["ts"] for c in _posted(bot, run.run_id)))
    assert started.answer["ts"] == done.body["ts"]


def test_a_double_click_on_apply_queues_one_restore_whose_thread_gets_the_rto(bot):
    bot["service"].run(FULL, "test")
    plan = bot["service"].plan(RECOVERY_DOMAIN_ID, ADMIN)
    _apply(bot, bot["driver"], plan.plan_id)
    reply(bot, lambda b: f"Restore plan `{plan.plan_id}` into `{RECOVERY_DOMAIN_ID}` is queued" in b)
    _apply(bot, bot["driver"], plan.plan_id)
    reply(bot, lambda b: "is queued already" in b)
    assert [job.id for job in bot["scheduler"].get_jobs()] == [restore_job_id(plan.plan_id)]
    assert bot["scheduler"].get_job(restore_job_id(plan.plan_id)).executor == LONG

    bot["scheduler"].resume()
    done = bot["box"].slack.wait_for("chat.update", lambda c: "RTO" in c.body.get("text", ""), timeout=90)
    assert plan.plan_id in done.body["text"]
    assert bot["service"].get_plan(plan.plan_id).status == "applied"
    assert len(_posted(bot, "is applying restore plan")) == 1


# APScheduler 3 looks at its store once more as it shuts down, paused or not: a job due then fails to submit to
# the stopped pool, and its removal fails too (the job stays, as the test shows), in the scheduler's own thread.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_run_queued_before_a_restart_runs_after_it(bot):
    command(bot, "run", ADMIN)
    reply(bot, lambda b: "backup is queued;" in b)
    assert bot["deps"].jobs.due(RUN_NOW) is not None
    bot["scheduler"].shutdown()  # the bot stops before the job ran; the job stays in its database

    deps = build_deps(bot["settings"])  # a new process over the same database
    build_app(bot["settings"], deps, CAPABILITIES)
    scheduler = build_scheduler(deps.db, bound_tasks(deps, CAPABILITIES))
    deps.jobs.attach(scheduler)
    scheduler.start()
    try:
        done = bot["box"].slack.wait_for("chat.update", lambda c: "succeeded" in c.body.get("text", ""), timeout=90)
        eventually(lambda: deps.jobs.due(RUN_NOW) is None)
    finally:
        scheduler.shutdown()
        deps.close()
    [run] = bot["service"].store.recent(DOMAIN_ID)
    assert (run.trigger, run.status) == (ADMIN, "succeeded") and run.run_id in done.body["text"]
