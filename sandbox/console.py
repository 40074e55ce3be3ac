"""`opsbot console`: the real app over the sandbox, driven from a prompt or a script."""

from __future__ import annotations

import gc
import json
import shlex
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console as Terminal
from rich.markup import escape
from sqlalchemy import select

from bot.app import build_app
from bot.bolt_request import bolt_request
from bot.errors import OpsbotError
from bot.inbox.consumer import SqsConsumer
from bot.inbox.service import build_inbox
from bot.inbox.store import HandledEvent
from handlers.subscriptions import reviews
from handlers.subscriptions.flows import subscriptions
from opsbot.capabilities import CAPABILITIES
from sandbox.aws.alarms import set_alarm
from sandbox.render import Rendered, render_call
from sandbox.runtime import ADMIN, ANALYST, APPROVER, CONSOLE_CHANNEL, SIGNING_SECRET, USERS, Sandbox
from sandbox.slack_requests import SlackRequests
from sandbox.world import ACCESS_KEYS, CLUSTER_ID, CLUSTER_NAME, MULTIMASTER_METRICS, put_multimaster
from scheduler import bound_tasks, build_scheduler

HELP = """Type a slash command as in Slack (/subscriptions help), or:
  as <user>                  act as ada (admin), alice (approver) or maria (analyst)
  press <n>                  press button n of the last message shown
  submit [block.action=value ...]   submit the last modal
  home                       open the Home tab
  simulate subscription-request [asset]   Maria asks for an asset in DataZone (default customer_pii)
                             later lines may say $request (its id) and $subscription (once approved)
  simulate decide <request-id> accept|reject as <user>   a DataZone user (alice, maria) decides in the portal
  simulate delete-asset <asset> [as <user>]   unpublish and delete an asset in the portal (default alice)
  simulate alarm <cluster> ALARM|OK the CloudWatch alarm changes state (its notification goes through SNS)
  simulate primary-failure <cluster> a primary node dies: EMR replaces it, the alarm fires
  simulate recovery <cluster>  the replacement is up: EMR's fleet is whole, the alarm returns to OK
  DataZone and EMR announce their own changes: their events reach the queue as from EventBridge
  review start [classification]   start an access review now, as `opsbot subscriptions review start` does
                             (default confidential; the sandbox's policy reviews it every 90 days)
  expect <text>              fail unless the last output contains <text> (for scripts)
  wait <seconds>             let background work run
  help, quit"""

# How long to keep collecting what listeners send after an ack, once nothing new has arrived.
QUIET_SECONDS = 0.4
FIRST_EFFECT_SECONDS = 5.0
# How long `expect` keeps watching for output still arriving (a busy machine may need most of it).
EXPECT_PATIENCE_SECONDS = 60.0


class ConsoleError(Exception):
    """A console step failed (a script then exits non-zero)."""


class Console:
    """Dispatches signed requests into the real app and renders what it sends to the fake Slack."""

    def __init__(self, sandbox: Sandbox, workdir: Path, terminal: Terminal | None = None) -> None:
        self.sandbox = sandbox
        self.terminal = terminal or Terminal(highlight=False)
        self.settings, self.deps = sandbox.bot_deps(workdir)
        # The console is its own leader: stored jobs (access expiry, reminders) run here.
        self.scheduler = build_scheduler(self.deps.db, bound_tasks(self.deps, CAPABILITIES))
        self.scheduler.start()
        self.deps.jobs.attach(self.scheduler)
        self.app = build_app(self.settings, self.deps, CAPABILITIES)
        self.requests = SlackRequests(SIGNING_SECRET, response_url=sandbox.slack.response_url("console"))
        self.consumer = SqsConsumer(
            self.deps.aws.client("sqs"),
            sandbox.world.queue_url,
            build_inbox(self.deps),
            self.deps.metrics,
            wait_seconds=1,
        )
        self.consumer.start()
        # As `opsbot run` does: freeze the start-up heap (botocore models, the emulators' worlds, Bolt), or a
        # full collection walks it mid-command and stalls everything for ~0.4 s, longer than output settles.
        gc.collect()
        gc.freeze()
        self.user = APPROVER
        self.last_request: str | None = None
        self.last = Rendered()
        self._seen_calls = len(sandbox.slack.calls)
        self._seen_events: set[str] = set()

    def close(self) -> None:
        """Stop background work."""
        self.consumer.stop()
        self.scheduler.shutdown()
        self.deps.close()

    # -- steps ------------------------------------------------------------------------------------

    def run(self, line: str) -> None:
        """Run one console line; raises ConsoleError when the step failed."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        line = self._substitute(line)
        self.terminal.print(f"[bold cyan]{USERS[self.user]['name']}>[/] {escape(line)}")
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            body, headers = self.requests.slash_command(command, text, user_id=self.user, channel_id=CONSOLE_CHANNEL)
            self._dispatch(body, headers)
            return
        word, _, rest = line.partition(" ")
        handler = getattr(self, f"_cmd_{word.replace('-', '_')}", None)
        if handler is None:
            raise ConsoleError(f"unknown console command {word!r}; type help")
        handler(rest.strip())

    def _substitute(self, line: str) -> str:
        # Scripts cannot know the ids the sandbox hands out: $request is the last simulated request,
        # $subscription the subscription its approval created.
        if "$request" in line:
            line = line.replace("$request", self.last_request or "no-request-yet")
        if "$subscription" in line:
            found = self.sandbox.client("datazone").list_subscriptions(
                domainIdentifier=self.sandbox.world.domain_id, subscriptionRequestIdentifier=self.last_request or "-"
            )["items"]
            line = line.replace("$subscription", found[0]["id"] if found else "no-subscription-yet")
        return line

    def _dispatch(self, body: str, headers: dict[str, str]) -> None:
        response = self.app.dispatch(bolt_request(body, headers))
        out = Rendered()
        if response.status != 200:
            out.lines.append(f"(Slack would show an error: HTTP {response.status})")
        elif response.body:
            payload = json.loads(response.body)
            if payload.get("text"):
                out.lines.append("(only visible to you) opsbot:")
                out.lines += ["  " + line for line in payload["text"].splitlines()]
            if payload.get("response_action") == "errors":
                out.lines += [f"  modal error on {k}: {v}" for k, v in payload.get("errors", {}).items()]
        self._show(self._collect(out))
        if response.status != 200 or any("error id" in line for line in self.last.lines):
            raise ConsoleError("opsbot answered with an error")

    def _collect(self, out: Rendered, settle: float = QUIET_SECONDS, patient: bool = True) -> Rendered:
        # Until something shows, wait (if `patient`) as long as a listener's first effect may take; then
        # stop once nothing new has arrived for `settle` seconds.
        first = max(settle, FIRST_EFFECT_SECONDS) if patient and not out.lines else settle
        deadline = time.monotonic() + first
        while time.monotonic() < deadline:
            calls = self.sandbox.slack.calls
            if len(calls) > self._seen_calls:
                for call in calls[self._seen_calls :]:
                    render_call(call, out)
                self._seen_calls = len(calls)
                deadline = time.monotonic() + settle
            for line in self._new_events():
                out.lines.append(line)
                deadline = time.monotonic() + settle
            time.sleep(0.05)
        return out

    def _new_events(self) -> Iterable[str]:
        with self.deps.db.session() as session:
            rows = session.scalars(select(HandledEvent).order_by(HandledEvent.handled_at)).all()
        for row in rows:
            if row.event_id not in self._seen_events:
                self._seen_events.add(row.event_id)
                yield f"(inbox) {row.source} / {row.detail_type}: {row.outcome}"

    def _show(self, out: Rendered) -> None:
        if not out.lines:
            out.lines.append("(no visible answer)")
        for line in out.lines:
            self.terminal.print(line, markup=False)
        for line in out.refusals:
            self.terminal.print(f"!! {line}", style="bold red", markup=False)
        # Like the screen in Slack: the last card's buttons and an open modal stay until replaced.
        previous = self.last
        self.last = out
        self.last.modal = out.modal or previous.modal
        self.last.buttons = out.buttons or previous.buttons
        if out.refusals:
            raise ConsoleError(out.refusals[0])

    # -- console commands -------------------------------------------------------------------------

    def _say(self, text: str, **style: Any) -> None:
        # Console chatter: printed, but the last output (its buttons and modal) stays actionable.
        self.terminal.print(text, markup=False, **style)

    def _cmd_help(self, _rest: str) -> None:
        self._say(HELP)

    def _cmd_as(self, rest: str) -> None:
        wanted = rest.lower()
        match = next((uid for uid, u in USERS.items() if wanted in (uid.lower(), u["name"])), None)
        if match is None:
            raise ConsoleError(f"no user {rest!r}: try ada, alice or maria")
        self.user = match
        self._say(f"now acting as {USERS[match]['real_name']} ({match})")

    def _cmd_press(self, rest: str) -> None:
        buttons = self.last.buttons
        if not rest.isdigit() or not 1 <= int(rest) <= len(buttons):
            raise ConsoleError(f"press 1..{len(buttons)}: the last output has {len(buttons)} buttons")
        button = buttons[int(rest) - 1]
        # Buttons of an ephemeral answer sit in the console's channel; a card's carry its channel and ts.
        channel, ts = button.get("_message", (CONSOLE_CHANNEL, None))
        body, headers = self.requests.block_action(
            button.get("action_id", ""),
            user_id=self.user,
            value=button.get("value", ""),
            block_id=button["block_id"],
            channel_id=channel,
            message_ts=ts,
        )
        self._dispatch(body, headers)

    def _cmd_submit(self, rest: str) -> None:
        modal = self.last.modal
        if modal is None:
            raise ConsoleError("no modal is open")
        # Inputs left as they were submit their initial value, as in Slack.
        values: dict[str, Any] = _initial_values(modal)
        for pair in shlex.split(rest):
            key, _, value = pair.partition("=")
            block, _, action = key.partition(".")
            values.setdefault(block, {})[action] = _state_value(modal, block, action, value)
        body, headers = self.requests.view_submission(
            modal.get("callback_id", ""),
            user_id=self.user,
            values=values,
            private_metadata=modal.get("private_metadata", ""),
        )
        self.last.modal = None
        self._dispatch(body, headers)

    def _cmd_home(self, _rest: str) -> None:
        body, headers = self.requests.event(
            {"type": "app_home_opened", "user": self.user, "tab": "home", "channel": "D0HOME"}
        )
        self._dispatch(body, headers)

    def _cmd_simulate(self, rest: str) -> None:
        kind, *args = rest.split() or [""]
        if kind == "subscription-request" and len(args) <= 1:
            self._simulate_request(args[0] if args else "customer_pii")
        elif kind == "decide" and len(args) == 4 and args[1] in ("accept", "reject") and args[2] == "as":
            self._simulate_decision(args[0], args[1], args[3])
        elif kind == "delete-asset" and (len(args) == 1 or (len(args) == 3 and args[1] == "as")):
            self._simulate_delete_asset(args[0], args[2] if len(args) == 3 else "alice")
        elif kind == "alarm" and len(args) == 2 and args[1].upper() in ("ALARM", "OK"):
            self._simulate_alarm(args[0], args[1].upper())
        elif kind == "primary-failure" and len(args) == 1:
            self._simulate_primary_failure(args[0])
        elif kind == "recovery" and len(args) == 1:
            self._simulate_recovery(args[0])
        else:
            raise ConsoleError(
                "simulate subscription-request [asset] | decide <request-id> accept|reject as <user>"
                " | delete-asset <asset> [as <user>] | alarm <cluster> ALARM|OK | primary-failure <cluster>"
                " | recovery <cluster>"
            )
        self._show(self._collect(Rendered(), settle=2.5))

    def _simulate_request(self, asset: str) -> None:
        world = self.sandbox.world
        if asset not in world.listings:
            raise ConsoleError(f"no published asset {asset!r}: try {', '.join(world.listings)}")
        dz = self.sandbox.client("datazone", as_user="maria")
        request = dz.create_subscription_request(
            domainIdentifier=world.domain_id,
            requestReason="Store-level forecasting",
            subscribedPrincipals=[{"project": {"identifier": world.consumer_project}}],
            subscribedListings=[{"identifier": world.listings[asset]}],
        )
        # DataZone itself announces the request ("Subscription Request Created") through the queue.
        self.last_request = request["id"]
        self.terminal.print(f"  (sandbox) Maria requested {asset}: request {request['id']} ($request)", markup=False)

    def _datazone_as(self, user: str) -> Any:
        # A DataZone user of the world, signing with their own key: DataZone records them as the actor.
        if user not in ACCESS_KEYS:
            raise ConsoleError(f"no DataZone user {user!r}: try {', '.join(ACCESS_KEYS)}")
        return self.sandbox.client("datazone", as_user=user)

    def _simulate_decision(self, request_id: str, decision: str, user: str) -> None:
        dz = self._datazone_as(user)
        decide = dz.accept_subscription_request if decision == "accept" else dz.reject_subscription_request
        try:
            decided = decide(
                domainIdentifier=self.sandbox.world.domain_id,
                identifier=request_id,
                decisionComment=f"{decision}ed in the DataZone portal",
            )
        except dz.exceptions.ClientError as error:
            raise ConsoleError(f"DataZone refused: {error.response['Error'].get('Message', error)}") from None
        self.terminal.print(
            f"  (sandbox) {user} {decision}ed request {request_id} in the DataZone portal: {decided['status']}",
            markup=False,
        )

    def _simulate_delete_asset(self, name: str, user: str) -> None:
        dz, domain = self._datazone_as(user), self.sandbox.world.domain_id
        found = dz.search(domainIdentifier=domain, searchScope="ASSET", searchText=name)["items"]
        asset = next((i["assetItem"] for i in found if i["assetItem"]["name"] == name), None)
        if asset is None:
            raise ConsoleError(f"no asset named {name!r} in the catalog")
        listing = dz.get_asset(domainIdentifier=domain, identifier=asset["identifier"]).get("listing") or {}
        if listing.get("listingStatus") in ("ACTIVE", "CREATING"):
            dz.create_listing_change_set(
                domainIdentifier=domain, entityIdentifier=asset["identifier"], entityType="ASSET", action="UNPUBLISH"
            )
        dz.delete_asset(domainIdentifier=domain, identifier=asset["identifier"])
        self.terminal.print(f"  (sandbox) {user} deleted {name} ({asset['identifier']}) in the portal", markup=False)

    def _cluster_id(self, cluster: str) -> str:
        if cluster in (CLUSTER_ID, CLUSTER_NAME):
            return CLUSTER_ID
        if cluster not in self.sandbox.emr_fleets.clusters:
            raise ConsoleError(f"no sandbox cluster {cluster!r}: try {CLUSTER_NAME}")
        return cluster

    def _simulate_primary_failure(self, cluster: str) -> None:
        cluster_id = self._cluster_id(cluster)
        # EMR announces the primary fleet's resize itself ("EMR Instance Fleet State Change").
        failed, replacement = self.sandbox.emr_fleets.fail_primary(cluster_id)
        put_multimaster(self.sandbox.client("cloudwatch"), cluster_id, running=2)
        self.terminal.print(
            f"  (sandbox) EMR: primary {failed['Ec2InstanceId']} ({failed['PrivateIpAddress']}) "
            f"lost; replacement {replacement['Ec2InstanceId']} is provisioning",
            markup=False,
        )
        self._simulate_alarm(cluster_id, "ALARM")

    def _simulate_recovery(self, cluster: str) -> None:
        cluster_id = self._cluster_id(cluster)
        self.sandbox.emr_fleets.finish_replacement(cluster_id)
        put_multimaster(self.sandbox.client("cloudwatch"), cluster_id, running=3)
        self.terminal.print("  (sandbox) EMR: the replacement primary is running; the fleet is whole", markup=False)
        self._simulate_alarm(cluster_id, "OK")

    def _simulate_alarm(self, cluster: str, state: str) -> None:
        cluster_id = self._cluster_id(cluster)
        name = f"opsbot-{cluster_id}-{MULTIMASTER_METRICS[0]}"
        # The alarm's state is kept in CloudWatch (what /cluster status reads); on a change its notification goes
        # to the topic, which moto delivers to the queue in an SNS envelope, as AWS does.
        box = self.sandbox
        previous = set_alarm(box.client("cloudwatch"), box.client("sns"), name, cluster_id, state)
        change = "was already" if previous == state else "is now"
        self.terminal.print(f"  (sandbox) CloudWatch: {name} {change} {state}", markup=False)

    def _cmd_review(self, rest: str) -> None:
        word, _, classification = rest.partition(" ")
        if word != "start":
            raise ConsoleError("review start [classification]   (default confidential)")
        flows = subscriptions(self.deps.kernel)
        try:
            said = reviews.start(flows, classification.strip() or "confidential", self.user, datetime.now(UTC))
        except OpsbotError as error:
            said = error.message
        out = Rendered()
        out.lines.append(f"(opsbot) {said}")
        # The cards go through the outbox to the owning project's channel: show them as they land.
        self._show(self._collect(out, settle=2.0))

    def _cmd_expect(self, rest: str) -> None:
        # A long job (a backup, a publish) keeps reporting after the console stopped listening; like someone
        # watching the channel, wait for what is still arriving before calling the step failed.
        deadline = time.monotonic() + EXPECT_PATIENCE_SECONDS
        while rest not in "\n".join(self.last.lines):
            if time.monotonic() >= deadline:
                raise ConsoleError(f"expected {rest!r} in the last output")
            more = self._collect(Rendered(), patient=False)
            if more.lines or more.refusals:
                earlier = self.last.lines
                self._show(more)
                self.last.lines = earlier + self.last.lines
        self._say(f"  ok: saw {rest!r}", style="green")

    def _cmd_wait(self, rest: str) -> None:
        # Exactly the time asked for; what arrived is shown, and if nothing did the last output stays current.
        out = self._collect(Rendered(), settle=float(rest or "1"), patient=False)
        if out.lines:
            self._show(out)
        else:
            self._say("(nothing new)")

    def _cmd_quit(self, _rest: str) -> None:
        raise EOFError


def _initial_values(modal: dict[str, Any]) -> dict[str, Any]:
    """view.state.values of the inputs that start with a value: a select's initial option, or initial text."""
    values: dict[str, Any] = {}
    for block in modal.get("blocks", []):
        element = block.get("element") or {}
        if block.get("type") != "input" or not block.get("block_id") or not element.get("action_id"):
            continue
        option = element.get("initial_option")
        if element.get("type") == "static_select" and option:
            state = SlackRequests.select_value(option["value"], option["text"]["text"])
        elif element.get("type") == "plain_text_input" and element.get("initial_value"):
            state = SlackRequests.text_value(element["initial_value"])
        else:
            continue
        values.setdefault(block["block_id"], {})[element["action_id"]] = state
    return values


def _state_value(modal: dict[str, Any], block_id: str, action_id: str, value: str) -> dict[str, Any]:
    """What Slack puts in view.state.values for the input the modal has there: a select's option, or typed text."""
    for block in modal.get("blocks", []):
        element = block.get("element") or {}
        if block.get("block_id") == block_id and element.get("action_id") == action_id:
            if element.get("type") == "static_select":
                options = [o for o in element.get("options", []) if o.get("value") == value]
                if not options:
                    raise ConsoleError(f"{block_id}.{action_id} offers no option {value!r}")
                return SlackRequests.select_value(value, options[0]["text"]["text"])
            return SlackRequests.text_value(value)
    raise ConsoleError(f"the modal has no input {block_id}.{action_id}")


__all__ = ["ADMIN", "ANALYST", "APPROVER", "Console", "ConsoleError"]
