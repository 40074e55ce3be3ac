"""The YAML policy file: who is an admin, who approves for which DataZone project, where cluster alerts go."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
SlackGroupId = Annotated[str, StringConstraints(pattern=r"^S[A-Z0-9]{2,}$")]
SlackChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,}$")]
Identity = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
RoleArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$")]
ProjectId = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]{1,36}$")]


class PolicyError(Exception):
    """The policy file cannot be read or does not validate."""


class People(BaseModel):
    """Slack users and user groups (membership resolved at check time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: tuple[SlackUserId, ...] = ()
    usergroups: tuple[SlackGroupId, ...] = ()


class ProjectPolicy(BaseModel):
    """A DataZone project's Slack channel and approvers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    channel: SlackChannelId | None = None
    approvers: People = People()
    # Who may publish, unpublish and register data sources for the project, besides its DataZone owners and
    # contributors that `people` maps to Slack users.
    owners: People = People()


class FormField(BaseModel):
    """Where a value lives in an asset's metadata forms: a form name and a field in its content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    form: str = Field(min_length=1)
    field: str = Field(min_length=1)


class QualityGate(BaseModel):
    """A minimum data quality score, and what falling below it does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    minimum: float = Field(ge=0)
    below: Literal["warn", "block"] = "warn"


Route = Literal["auto_approve", "review", "deny"]


# The reference's policy: public and internal data are approved automatically, confidential reviewed.
REFERENCE_RULES: dict[str, Route] = {"public": "auto_approve", "internal": "auto_approve", "confidential": "review"}


# An approval chain longer than this is a policy mistake, not governance.
MAX_APPROVAL_STEPS = 5


class ApprovalStep(BaseModel):
    """One step of an approval chain: who approves it, the owning project's approvers or named people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # How the card and the pings name the step ("data protection").
    label: str = Field("", max_length=80)
    # The approvers of the project that owns the asset, as `projects` names them.
    project_approvers: bool = False
    # Or these people, whichever project owns the asset.
    approvers: People | None = None

    @model_validator(mode="after")
    def _one_kind_of_approver(self) -> ApprovalStep:
        named = self.approvers is not None and bool(self.approvers.users or self.approvers.usergroups)
        if self.project_approvers == named:
            raise ValueError("a step names exactly one of project_approvers: true or approvers (users, usergroups)")
        return self


# A request without a chain has one step: the owning project's approvers.
ONE_STEP = (ApprovalStep(project_approvers=True),)


class ClassificationRule(BaseModel):
    """A classification's route with more to say than the route alone: whether approvals must be scoped, and the
    steps of approval a reviewed request goes through."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: Route
    # An approval of this classification must choose asset filters (rows, columns), never the whole asset.
    require_scope: bool = False
    # Approval in steps, each by its own approvers, in order; the last step's approval accepts in DataZone.
    steps: tuple[ApprovalStep, ...] | None = Field(None, min_length=1, max_length=MAX_APPROVAL_STEPS)

    @model_validator(mode="after")
    def _scope_needs_a_human(self) -> ClassificationRule:
        # An automatic approval chooses no filters, so it could only grant the whole asset.
        if self.require_scope and self.route == "auto_approve":
            raise ValueError("require_scope needs a person to choose the filters: use review or deny, not auto_approve")
        # Nobody approves a request the policy decides by itself.
        if self.steps is not None and self.route != "review":
            raise ValueError("steps need route review: the policy decides auto_approve and deny requests itself")
        return self


class ReviewSchedule(BaseModel):
    """Periodic access reviews of one classification: how often, how long approvers have to answer, when they are
    reminded, and what happens to subscriptions nobody answered for by the deadline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every_days: int = Field(ge=1, le=3650)
    answer_days: int = Field(14, ge=1, le=3650)
    # The reminder goes this many days before the deadline; 0 sends none.
    remind_before_days: int = Field(3, ge=0, le=3650)
    # revoke: access nobody vouched for ends; keep: it stays; escalate: it stays and the admins are asked to act.
    unanswered: Literal["revoke", "escalate", "keep"] = "escalate"

    @model_validator(mode="after")
    def _answer_within_the_cycle(self) -> ReviewSchedule:
        # A campaign must close before the next one is due, or two would ask about the same subscriptions.
        if self.answer_days >= self.every_days:
            raise ValueError("answer_days must be less than every_days: a review closes before the next is due")
        if self.remind_before_days >= self.answer_days:
            raise ValueError("remind_before_days must be less than answer_days: the reminder comes after the cards")
        return self


class SubscriptionPolicy(BaseModel):
    """How subscription requests are decided: by the asset's classification, with an optional quality gate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    classification: FormField = FormField(form="BusinessMetadata", field="classification")
    quality_score: FormField = FormField(form="BusinessMetadata", field="data_quality_score")
    # classification -> route, or {route, require_scope} where approvals must grant chosen asset filters only.
    rules: dict[str, Route | ClassificationRule] = Field(
        default_factory=lambda: dict[str, Route | ClassificationRule](REFERENCE_RULES)
    )
    default: Route = "review"
    quality: QualityGate | None = None
    auto_approval_notice: Literal["compact", "silent"] = "compact"
    max_access_days: int | None = Field(None, ge=1, le=3650)
    # A pending card gets a reminder in its thread after this long, and the admins are told after the second.
    remind_after_hours: float | None = Field(24, gt=0)
    escalate_after_hours: float | None = Field(72, gt=0)
    # Decide as the approver: AssumeRole into their own role with SourceIdentity set to their Slack user id,
    # so DataZone and CloudTrail record the human. With `require_approver_role`, users without one cannot decide.
    approver_roles: dict[SlackUserId, RoleArn] = Field(default_factory=dict)
    require_approver_role: bool = False
    # Ask for access as the requester: their own role, with SourceIdentity set to their Slack user id, so DataZone
    # and CloudTrail record the person. Without one, the bot asks and the request's reason names the Slack user.
    requester_roles: dict[SlackUserId, RoleArn] = Field(default_factory=dict)
    # classification -> periodic access reviews of the subscriptions to assets of that classification.
    reviews: dict[str, ReviewSchedule] = Field(default_factory=dict)

    @field_validator("rules")
    @classmethod
    def _lower_keys(cls, rules: dict[str, Route | ClassificationRule]) -> dict[str, Route | ClassificationRule]:
        return {key.strip().lower(): route for key, route in rules.items()}

    @field_validator("reviews")
    @classmethod
    def _lower_review_keys(cls, reviews: dict[str, ReviewSchedule]) -> dict[str, ReviewSchedule]:
        # Classifications are matched lower-case and trimmed, as `rules` are; an empty one could never match.
        lowered: dict[str, ReviewSchedule] = {}
        for key, schedule in reviews.items():
            name = key.strip().lower()
            if not name or len(name) > 64:
                raise ValueError(f"review classification {key!r} must be 1 to 64 characters")
            if name in lowered:
                raise ValueError(f"classification {name!r} has two review schedules")
            lowered[name] = schedule
        return lowered

    def route_of(self, classification: str) -> Route | None:
        """The route the rules give a (lower-case) classification, or None when they have no rule for it."""
        rule = self.rules.get(classification)
        return rule.route if isinstance(rule, ClassificationRule) else rule

    def requires_scope(self, classification: str | None) -> bool:
        """Whether approvals of this classification must grant chosen asset filters rather than the whole asset."""
        rule = self.rules.get(classification or "")
        return isinstance(rule, ClassificationRule) and rule.require_scope

    def steps_for(self, classification: str | None) -> tuple[ApprovalStep, ...]:
        """The approval steps of a reviewed request of this classification: the rule's chain, else one step by
        the owning project's approvers."""
        rule = self.rules.get(classification or "")
        return rule.steps if isinstance(rule, ClassificationRule) and rule.steps else ONE_STEP

    def named_step_approvers(self) -> tuple[People, ...]:
        """Every step's named approvers (not the project's), across the rules: who else may hold a decision."""
        return tuple(
            step.approvers
            for rule in self.rules.values()
            if isinstance(rule, ClassificationRule)
            for step in rule.steps or ()
            if step.approvers is not None
        )


HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]


class ClusterRoute(BaseModel):
    """Where one cluster's alerts go, matched by cluster id or name, or by a `key=value` tag."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cluster: str | None = Field(None, min_length=1, max_length=256)
    tag: str | None = Field(None, pattern=r"^[^=]{1,128}=.{0,256}$")
    channel: SlackChannelId
    runbook: HttpsUrl | None = None
    oncall: People | None = None

    @model_validator(mode="after")
    def _one_match(self) -> ClusterRoute:
        if (self.cluster is None) == (self.tag is None):
            raise ValueError("give exactly one of cluster or tag")
        return self


class ClusterPolicy(BaseModel):
    """EMR failover alerts: routing to channels, the runbook, who is on call, escalation and flapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_channel: SlackChannelId | None = None
    runbook: HttpsUrl | None = None
    # Paged when an alert is not acknowledged in time; they (and admins) may acknowledge.
    oncall: People = People()
    escalation_minutes: int = Field(15, ge=1, le=1440)
    # An alarm that fires again this soon after resolving reopens its card instead of posting a new one.
    flap_minutes: int = Field(15, ge=0, le=1440)
    routes: tuple[ClusterRoute, ...] = ()


class PublishingPolicy(BaseModel):
    """What an asset needs before it is published, and where registrations go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The organisation's business metadata (the reference's owner, classification and refresh frequency):
    # each named field must be filled in the form before an asset is published.
    metadata_form: str = Field("BusinessMetadata", min_length=1)
    required_metadata: tuple[str, ...] = ("owner", "classification", "refresh_frequency")
    quality_score: FormField = FormField(form="BusinessMetadata", field="data_quality_score")
    # Data source runs publish what they import without the preview gate.
    publish_on_import: bool = False
    # The producer project registrations go to; without it, the policy's only project.
    project: ProjectId | None = None
    # The Redshift credentials DataZone reads (a Secrets Manager secret tagged for the domain and project).
    redshift_secret_arn: str | None = Field(
        None, pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$"
    )


class Policy(BaseModel):
    """The whole policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    admins: People = People()
    projects: dict[ProjectId, ProjectPolicy] = Field(default_factory=dict)
    subscriptions: SubscriptionPolicy = SubscriptionPolicy()
    clusters: ClusterPolicy = ClusterPolicy()
    publishing: PublishingPolicy = PublishingPolicy()
    # Slack user -> their DataZone identities (SSO user name, IAM user or assumed-role session ARN, or
    # DataZone user id): how requesters get DMs and how self-approval is recognised.
    people: dict[SlackUserId, tuple[Identity, ...]] = Field(default_factory=dict)

    def slack_user_for(self, identities: tuple[str, ...]) -> str | None:
        """The Slack user `people` maps any of these DataZone identities to, if any."""
        wanted = set(identities)
        return next((user for user, known in self.people.items() if wanted.intersection(known)), None)

    @field_validator("people")
    @classmethod
    def _one_owner_per_identity(cls, people: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        seen: dict[str, str] = {}
        for user, identities in people.items():
            for identity in identities:
                if seen.setdefault(identity, user) != user:
                    raise ValueError(f"{identity} is mapped to both {seen[identity]} and {user}")
        return people


def load_policy(path: Path | None) -> Policy:
    """Read and validate the policy file; no file means nobody holds a role."""
    if path is None:
        return Policy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"OPSBOT_CONFIG: cannot read {path}: {exc}") from None
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise PolicyError(f"OPSBOT_CONFIG: {path} is invalid: {problems}") from None
