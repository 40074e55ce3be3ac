"""Failover cards when Slack's answer is lost, and two replicas sharing one channel's pace."""

import itertools

import pytest

from bot.app import build_app
from bot.deps import build_deps
from bot.settings import load_settings
from handlers.failover.store import AlertStore
from opsbot.capabilities import CAPABILITIES
from tests.handlers.failover.conftest import DEFAULT, SALES, Bot
from tests.harness import eventually
from tests.slack_proxy import SlackProxy


@pytest.fixture
def replicas(box, tmp_path, monkeypatch):
    """Two bot replicas on one database, talking to Slack through a recording proxy."""
    proxy = SlackProxy(box.slack.url)
    for name, value in {**box.env(), "SLACK_API_URL": proxy.api_url}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    bots = []
    for _ in range(2):
        deps = build_deps(settings)
        deps.db.migrate(CAPABILITIES)
        bots.append(Bot(box, deps, build_app(settings, deps, CAPABILITIES)))
    box.slack.reset()
    yield bots, proxy
    for bot in bots:
        bot.deps.close()
    proxy.stop()


def _carded(bot):
    alerts = bot.alerts()
    return alerts and all(a.card_ts not in (None, "posting") for a in alerts)


def test_a_card_whose_answer_is_lost_is_found_not_posted_again(replicas):
    (bot, _), proxy = replicas
    proxy.lose_answers("chat.postMessage", 1)  # Slack stores the card; the bot hears 500
    bot.alarm("ALARM")
    eventually(lambda: _carded(bot), timeout=30)
    cards = proxy.landed("chat.postMessage", lambda b: b.get("channel") == SALES and not b.get("thread_ts"))
    assert len(cards) == 1
    assert bot.alerts()[0].card_ts == cards[0].answer["ts"]


def test_two_replicas_keep_one_channel_to_one_call_a_second(replicas):
    bots, proxy = replicas
    for n in range(8):
        # Half the notifications reach each replica, as SQS would spread them.
        bots[n % 2].alarm("ALARM", cluster=f"j-PACE{n:08d}", name=f"pace-{n}")
    eventually(lambda: _carded(bots[0]) and len(bots[0].alerts()) == 8, timeout=60)
    # Settled: no card, re-render or thread line left in the failover outbox.
    eventually(lambda: not AlertStore(bots[0].deps.db).channels_with_work(), timeout=60)
    top = proxy.landed("chat.postMessage", lambda b: b.get("channel") == DEFAULT and not b.get("thread_ts"))
    shown = [str(call.body) for call in top]
    for n in range(8):
        assert sum(f"j-PACE{n:08d}" in text for text in shown) == 1  # one card or digest line each
    arrivals = sorted(s.at for s in proxy.seen if (s.body.get("channel") or s.body.get("channel_id")) == DEFAULT)
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    # A slot opens a full second after the previous call ended (a millisecond for the two clocks involved).
    assert len(arrivals) >= 2 and min(gaps) >= 0.999, gaps
