"""The Home tab shows the user's roles, the commands and each capability's section."""

from typing import Any

from bot.app import build_app
from bot.capability import Capability
from bot.registry import Registry
from handlers import home
from opsbot.capabilities import CAPABILITIES
from tests.conftest import ADMIN, ALICE, BOB, MALLORY
from tests.harness import BoltDriver


def _open_home(driver: BoltDriver, fake_slack, user: str) -> dict[str, Any]:
    driver.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})
    call = fake_slack.wait_for("views.publish", lambda c: c.body.get("user_id") == user)
    return call.body["view"]


def _texts(view: dict[str, Any]) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in view["blocks"])


def test_home_shows_roles_and_commands(slack, fake_slack):
    view = _open_home(slack, fake_slack, ADMIN)
    assert view["type"] == "home"
    text = _texts(view)
    assert "You are opsbot admin." in text
    for command in ["/subscriptions", "/publish", "/backup", "/cluster", "/protein"]:
        assert f"`{command}`" in text
    assert "approver for `Sales producer`" in _texts(_open_home(slack, fake_slack, ALICE))
    assert "approver for `Sales producer`" in _texts(_open_home(slack, fake_slack, BOB))
    assert "a reader" in _texts(_open_home(slack, fake_slack, MALLORY))


def test_sections_render_and_a_broken_one_does_not_blank_the_tab(settings, sqlite_deps, requests_, fake_slack):
    def sections(registry: Registry) -> None:
        registry.home_section(
            "Backups",
            lambda user: [{"type": "section", "text": {"type": "mrkdwn", "text": f"last backup fine for {user}"}}],
        )

        def broken(_user: str) -> list[dict[str, Any]]:
            raise RuntimeError("boom")

        registry.home_section("Alerts", broken)

    others = [c for c in CAPABILITIES if c is not home.CAPABILITY]
    capabilities = [*others, Capability("sections", register=sections), home.CAPABILITY]
    driver = BoltDriver(build_app(settings, sqlite_deps, capabilities), requests_)
    text = _texts(_open_home(driver, fake_slack, MALLORY))
    assert f"last backup fine for {MALLORY}" in text
    assert "This section could not be loaded (error id" in text


def test_messages_tab_is_not_a_home_render(slack, fake_slack):
    slack.event({"type": "app_home_opened", "user": MALLORY, "channel": "D0HOME", "tab": "messages"})
    slack.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME", "tab": "home"})
    fake_slack.wait_for("views.publish")
    assert [c.body["user_id"] for c in fake_slack.calls_to("views.publish")] == [ADMIN]
