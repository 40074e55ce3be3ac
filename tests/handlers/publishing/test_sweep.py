"""The sweep: runs whose poller died with the bot and whose event was lost still get one message in their thread."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from handlers.publishing import tasks
from handlers.publishing.registration import Registration, SchemaFilter
from handlers.publishing.store import FOLLOWING, GAVE_UP, GONE, REPORTED, RunCard
from handlers.publishing.sweep import SWEEP
from handlers.publishing.wiring import build_publishing
from handlers.publishing.workflow import GIVE_UP
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import APPROVER
from sandbox.world import DOMAIN_ID
from scheduler import build_scheduler, register_jobs
from tests.handlers.publishing.helpers import CHANNEL, posted
from tests.handlers.subscriptions.helpers import event as datazone_event
from tests.harness import eventually


def started_then_restarted(bot, table="orders_raw"):
    """A Glue run started and its card stored as /publish glue does, then the bot replaced: nothing polls it."""
    deps, publishing = bot["deps"], build_publishing(bot["deps"].kernel)
    thread = deps.slack.chat_postMessage(channel=CHANNEL, text="Registering Glue sales")["ts"]
    registration = Registration(kind="GLUE", database="sales", schemas=(SchemaFilter("", (table,)),))
    outcome = publishing.registrar.register(
        DOMAIN_ID, publishing.producer_project(), registration, secret_arn=None, publish_on_import=False
    )
    label = registration.label
    publishing.store.add(outcome.run_id, DOMAIN_ID, outcome.data_source_id, label, APPROVER, CHANNEL, thread)
    return outcome.run_id


def finished(bot, run_id):
    """Wait until DataZone has finished the run (so the next test can start one on the same data source)."""
    eventually(
        lambda: bot["dz"].get_data_source_run(domainIdentifier=DOMAIN_ID, identifier=run_id)["status"] == "SUCCESS"
    )


def thread_posts(bot, text):
    """Every chat.postMessage that mentions `text`, once the outbox has delivered what it holds."""
    eventually(lambda: bot["deps"].outbox.store.pending_count() == 0, timeout=60)
    return [c for c in bot["box"].slack.calls_to("chat.postMessage") if text in json.dumps(c.body)]


def summaries(bot, run_id):
    return thread_posts(bot, f"Run `{run_id}` of")


def state(bot, run_id):
    return build_publishing(bot["deps"].kernel).store.get(run_id).state


def test_a_run_the_restart_orphaned_gets_one_summary_from_the_sweep(bot):
    run_id = started_then_restarted(bot)
    sweep = tasks(bot["deps"].kernel)[SWEEP]
    finished(bot, run_id)
    assert sweep().get("done") == 1
    call = posted(bot, lambda body: f"Run `{run_id}` of" in body and "thread_ts" in body)
    assert "0 failed" in json.dumps(call.body) and call.body["channel"] == CHANNEL
    assert state(bot, run_id) == REPORTED
    assert "done" not in sweep()  # no longer followed: nothing new in the thread
    assert len(summaries(bot, run_id)) == 1
    audit = [e for e in bot["deps"].audit.recent(50) if e.target == run_id]
    assert [e.result for e in audit] == ["success"]


def test_the_sweep_tells_the_thread_a_new_status_once(bot):
    run_id = started_then_restarted(bot, "orders_daily")
    sweep = tasks(bot["deps"].kernel)[SWEEP]
    assert sweep() == {"running": 1}  # DataZone's first answer about a new run: it is running
    running = thread_posts(bot, f"Run `{run_id}`: running")
    assert len(running) == 1 and running[0].body["thread_ts"]
    assert build_publishing(bot["deps"].kernel).store.get(run_id).last_status == "RUNNING"
    finished(bot, run_id)
    assert sweep() == {"done": 1}
    assert len(summaries(bot, run_id)) == 1
    assert len(thread_posts(bot, f"Run `{run_id}`: running")) == 1


def test_an_event_and_the_sweep_racing_post_one_summary(bot):
    run_id = started_then_restarted(bot)
    finished(bot, run_id)
    event = datazone_event(run_id, "Data Source Run Succeeded")
    handler, sweep = bot["deps"].events.handler_for(event), tasks(bot["deps"].kernel)[SWEEP]
    start = threading.Barrier(4)

    def racing(step):
        start.wait()
        step()

    racers = [threading.Thread(target=racing, args=(step,)) for step in (sweep, sweep, lambda: handler(event))]
    for racer in racers:
        racer.start()
    start.wait()
    for racer in racers:
        racer.join()
    assert len(summaries(bot, run_id)) == 1
    assert state(bot, run_id) == REPORTED


def _started_long_ago(bot, run_id):
    with bot["deps"].db.session() as session:
        session.execute(
            update(RunCard)
            .where(RunCard.run_id == run_id)
            .values(created_at=datetime.now(UTC) - timedelta(seconds=GIVE_UP + 60))
        )


def test_a_run_still_running_past_the_limit_is_given_up_with_one_message(bot):
    run_id = started_then_restarted(bot, "orders_weekly")
    _started_long_ago(bot, run_id)
    sweep = tasks(bot["deps"].kernel)[SWEEP]
    assert sweep().get("gave up") == 1  # DataZone's first answer: still running
    assert sweep().get("gave up") is None
    gave_up = thread_posts(bot, f"Gave up following run `{run_id}` after 24 h")
    assert len(gave_up) == 1 and gave_up[0].body["thread_ts"] and gave_up[0].body["channel"] == CHANNEL
    assert state(bot, run_id) == GAVE_UP
    finished(bot, run_id)
    # The poller of a replica that is still alive stops too, and posts no summary.
    build_publishing(bot["deps"].kernel).follow(DOMAIN_ID, run_id)
    assert summaries(bot, run_id) == []


def test_a_run_that_finished_while_nobody_looked_still_gets_its_summary_after_the_limit(bot):
    run_id = started_then_restarted(bot)
    finished(bot, run_id)
    _started_long_ago(bot, run_id)
    assert tasks(bot["deps"].kernel)[SWEEP]() == {"done": 1}
    assert len(summaries(bot, run_id)) == 1
    assert thread_posts(bot, f"Gave up following run `{run_id}`") == []
    assert state(bot, run_id) == REPORTED


def test_a_run_datazone_does_not_know_is_ended_with_one_message(bot):
    deps, run_id = bot["deps"], "r" + uuid.uuid4().hex[:12]
    thread = deps.slack.chat_postMessage(channel=CHANNEL, text="Registering Glue gone")["ts"]
    build_publishing(deps.kernel).store.add(run_id, DOMAIN_ID, "ds-deleted", "Glue gone", APPROVER, CHANNEL, thread)
    sweep = tasks(deps.kernel)[SWEEP]
    assert sweep().get("gone") == 1
    assert sweep().get("gone") is None
    gone = thread_posts(bot, f"DataZone no longer knows run `{run_id}`")
    assert len(gone) == 1 and gone[0].body["thread_ts"] == thread
    assert state(bot, run_id) == GONE


def test_one_run_failing_does_not_stop_the_others(bot):
    kernel = bot["deps"].kernel
    # A card whose domain id DataZone rejects: an error that is not "not found", so the run is not ended.
    store = build_publishing(kernel).store
    store.add("r-elsewhere", "not a domain id!", "ds-x", "Glue elsewhere", APPROVER, CHANNEL, None)
    run_id = started_then_restarted(bot)
    finished(bot, run_id)
    assert tasks(kernel)[SWEEP]() == {"failed": 1, "done": 1}  # DataZone refused the first (logged), not the second
    assert len(summaries(bot, run_id)) == 1
    assert state(bot, "r-elsewhere") == FOLLOWING  # looked at again next tick, until given up


def test_the_sweep_is_scheduled_when_the_domain_is_set(bot):
    scheduler = build_scheduler()
    scheduler.start(paused=True)
    try:
        assert SWEEP in register_jobs(scheduler, bot["deps"], CAPABILITIES)
        job = scheduler.get_job(SWEEP)
        assert job.args == (SWEEP,) and str(job.trigger) == "interval[0:05:00]"
        unset = bot["deps"].settings.model_copy(update={"datazone_domain_id": None})
        bot["deps"].settings = unset
        scheduler.remove_all_jobs()
        assert SWEEP not in register_jobs(scheduler, bot["deps"], CAPABILITIES)
    finally:
        scheduler.shutdown(wait=False)
