"""The send worker: claim due deliveries, render them, hand them to their channel,
record what the channel said.

Exactly once, and where it is not: a batch is claimed (each delivery marked ``sending``
with a lease) and rendered in one transaction that commits *before* anything reaches a
channel; the channel's answers are recorded in the next transaction. A worker that dies
between the channel's acceptance and that record leaves its deliveries ``sending``; when
the lease runs out, another run claims and sends them again. That is the one window
(ADR 0016): at most one extra copy per crash, only for the batch in flight. Suppressed
addresses are checked in the claiming transaction, so an unsubscribe committed before a
claim always wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict
from crmcore.app.marketing.audience import recipients, template_context
from crmcore.app.marketing.campaigns import decide, plan_deliveries
from crmcore.app.marketing.sequences import advance_sequences
from crmcore.app.marketing.templates import engine
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.alerts import CHANNEL_SERVICE, Measurement
from crmcore.domain.campaign import CampaignChannel, CampaignStatus, failure_share_too_high
from crmcore.domain.ids import ActivityId
from crmcore.domain.templates import MessageTemplate, MissingVariable, TemplateRejected
from crmcore.domain.unsubscribe import unsubscribe_url
from crmcore.ports.marketing import (
    ChannelUnavailable,
    Delivery,
    DeliveryStatus,
    MessageChannel,
    OutgoingMessage,
    SendResult,
)
from crmcore.ports.uow import UnitOfWork

DEFAULT_BATCH = 500
DEFAULT_LEASE = timedelta(seconds=60)

Outcome = tuple[UUID, DeliveryStatus, str | None, str | None]


@attrs.define
class SendReport:
    """What one run of the worker did."""

    batches: int = 0
    planned: int = 0  # drip steps that fell due
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    started: list[str] = attrs.field(factory=list)
    completed: list[str] = attrs.field(factory=list)
    paused: list[tuple[str, str]] = attrs.field(factory=list)
    decided: list[tuple[str, str]] = attrs.field(factory=list)
    error: str | None = None

    def add(self, other: SendReport) -> None:
        """Fold another run's numbers into this one."""
        self.batches += other.batches
        self.planned += other.planned
        self.sent += other.sent
        self.failed += other.failed
        self.suppressed += other.suppressed
        self.started += other.started
        self.completed += other.completed
        self.paused += other.paused
        self.decided += other.decided
        self.error = other.error or self.error


@attrs.frozen(kw_only=True)
class _Prepared:
    messages: Mapping[CampaignChannel, list[OutgoingMessage]]
    campaigns: frozenset[UUID]
    claimed: int
    suppressed: int
    failed: int
    tasks: int  # call-list deliveries done in the claiming transaction (tasks created)


def start_due(app: App) -> Result[list[str], AppError]:
    """Start the scheduled campaigns whose time has come (their deliveries planned)."""

    def work(uow: UnitOfWork) -> Result[list[str], AppError]:
        now = app.clock.now()
        started = []
        for campaign in uow.campaigns.list(status=CampaignStatus.SCHEDULED):
            if campaign.scheduled_at is not None and campaign.scheduled_at > now:
                continue
            moved = campaign.move("start", at=now)
            if isinstance(moved, Success):
                plan_deliveries(app, uow, campaign)
                uow.campaigns.save(moved.unwrap())
                started.append(str(campaign.id))
        return Success(started)

    return transact(app, work)


class _Renderer:
    """Renders one batch's messages; templates and the secret read once per run."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.templates: dict[str, MessageTemplate | None] = {}
        self.secret: bytes | None = None
        self._names_facts: dict[str, bool] = {}

    def template(self, uow: UnitOfWork, name: str) -> MessageTemplate | None:
        if name not in self.templates:
            self.templates[name] = uow.templates.get(name)
        return self.templates[name]

    def names_facts(self, uow: UnitOfWork, name: str) -> bool:
        """Whether the template ``name`` refers to ``facts`` (only then are the
        recipients' loyalty facts read); a template that cannot be read says yes."""
        if name not in self._names_facts:
            template = self.template(uow, name)
            check = engine(self.app).check
            try:
                refs = check(template.subject) | check(template.body) if template else set()
            except TemplateRejected:
                refs = {"facts"}
            self._names_facts[name] = any(r.split(".", 1)[0] == "facts" for r in refs)
        return self._names_facts[name]

    def prepare(self, uow: UnitOfWork, *, batch: int, lease: timedelta) -> _Prepared:
        now = self.app.clock.now()
        running = {c.id: c for c in uow.campaigns.list(status=CampaignStatus.RUNNING)}
        claimed = uow.deliveries.claim(
            limit=batch, at=now, lease_until=now + lease, campaigns=list(running)
        )
        if not claimed:
            return _Prepared(
                messages={}, campaigns=frozenset(), claimed=0, suppressed=0, failed=0, tasks=0
            )
        if self.secret is None:
            self.secret = uow.personal_data.subject_secret()
        by_channel: dict[CampaignChannel, list[Delivery]] = defaultdict(list)
        for d in claimed:
            by_channel[d.channel].append(d)
        blocked: set[tuple[CampaignChannel, str]] = set()
        for channel, ds in by_channel.items():
            for address in uow.consents.suppressed(channel, [d.address for d in ds]):
                blocked.add((channel, address))
        names = {running[d.campaign_id].variants.get(d.variant, "") for d in claimed}
        facts = any(self.names_facts(uow, name) for name in names)
        people = recipients(uow, [d.contact_id for d in claimed], facts=facts)
        outcomes: list[Outcome] = []
        tasks: list[Activity] = []
        messages: dict[CampaignChannel, list[OutgoingMessage]] = defaultdict(list)
        render = engine(self.app).render
        base = self.app.marketing.unsubscribe_base if self.app.marketing else ""
        for d in claimed:
            person = people.get(d.contact_id)
            if (d.channel, d.address) in blocked:
                outcomes.append((d.id, DeliveryStatus.SUPPRESSED, None, None))
                continue
            template = self.template(uow, running[d.campaign_id].variants.get(d.variant, ""))
            if person is None or template is None:
                why = "the contact is gone" if person is None else "the template is gone"
                outcomes.append((d.id, DeliveryStatus.FAILED, None, why))
                continue
            link = unsubscribe_url(base, self.secret, d.address)
            context = template_context(person, link, facts=facts)
            try:
                subject = render(template.subject, context)
                body = render(template.body, context)
            except (MissingVariable, TemplateRejected) as exc:
                outcomes.append((d.id, DeliveryStatus.FAILED, None, f"template: {exc}"))
                continue
            if d.channel is CampaignChannel.CALL_LIST:
                # a call list is a task for the team, with the rendered body as the script,
                # recorded in the claiming transaction itself (no re-send window)
                task = call_task(self.app, person.contact.name.full, d.address, subject, body, d)
                tasks.append(task)
                outcomes.append((d.id, DeliveryStatus.SENT, f"task:{task.id}", None))
                continue
            headers = {
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-CRM-Campaign": str(d.campaign_id),
            }
            messages[d.channel].append(
                OutgoingMessage(
                    delivery_id=d.id, to=d.address, subject=subject, body=body, headers=headers
                )
            )
        uow.activities.add_many(tasks)
        uow.deliveries.finish(outcomes, at=now)
        return _Prepared(
            messages=messages,
            campaigns=frozenset(d.campaign_id for d in claimed),
            claimed=len(claimed),
            suppressed=sum(1 for o in outcomes if o[1] is DeliveryStatus.SUPPRESSED),
            failed=sum(1 for o in outcomes if o[1] is DeliveryStatus.FAILED),
            tasks=len(tasks),
        )


#: When a call-list task falls due after it is created.
CALL_DUE = timedelta(days=1)


def call_task(app: App, name: str, phone: str, subject: str, script: str, d: Delivery) -> Activity:
    """The manager's task of one call-list delivery: call the contact within a day."""
    now = app.clock.now()
    return Activity(
        id=ActivityId(app.ids.new()),
        type=ActivityType.TASK,
        subject=f"Call {name} ({phone}): {subject}"[:300],
        description=script,
        contact_id=d.contact_id,
        actor="campaign",
        due_at=now + CALL_DUE,
        created_at=now,
    )


@attrs.define
class _Delivered:
    """The channels' answers, the deliveries never handed over, the error that stopped
    them, and per channel tried whether its service was reached (None) or why not."""

    results: list[SendResult] = attrs.field(factory=list)
    unsent: list[UUID] = attrs.field(factory=list)
    error: str | None = None
    reached: dict[CampaignChannel, str | None] = attrs.field(factory=dict)


def _deliver(prepared: _Prepared, channels: Mapping[CampaignChannel, MessageChannel]) -> _Delivered:
    """Hand each channel its messages until one cannot be reached."""
    out = _Delivered()
    for channel, messages in prepared.messages.items():
        if out.error is not None:
            out.unsent += [m.delivery_id for m in messages]
            continue
        try:
            out.results += channels[channel].send(messages)
            out.reached[channel] = None
        except ChannelUnavailable as exc:
            out.results += exc.done
            answered = {r.delivery_id for r in exc.done}
            out.unsent += [m.delivery_id for m in messages if m.delivery_id not in answered]
            out.error = f"{channel.value}: {exc}"
            out.reached[channel] = str(exc) or type(exc).__name__
    return out


def _upkeep(app: App, campaign_ids: frozenset[UUID], report: SendReport) -> None:
    """Pause a campaign whose failure share passed the limit; complete one with nothing
    left to send. A conflict with another worker doing the same is harmless."""

    def work(uow: UnitOfWork) -> Result[None, AppError]:
        now = app.clock.now()
        still_open = uow.deliveries.open_campaigns(sorted(campaign_ids))
        for cid in sorted(campaign_ids):
            campaign = uow.campaigns.get(cid)
            if campaign is None or campaign.status is not CampaignStatus.RUNNING:
                continue
            decided = campaign if campaign.is_sequence else decide(app, uow, campaign)
            if decided is not campaign:
                uow.campaigns.save(decided)
                report.decided.append((str(cid), str(decided.winner)))
                continue
            counts = uow.deliveries.status_counts(cid)
            sent = counts.get(DeliveryStatus.SENT.value, 0)
            failed = sum(
                counts.get(s.value, 0) for s in (DeliveryStatus.FAILED, DeliveryStatus.BOUNCED)
            )
            if failure_share_too_high(sent, failed):
                share = 100 * failed / (sent + failed)
                reason = (
                    f"{failed} of {sent + failed} deliveries failed ({share:.1f} %, above 5 %): "
                    "check the list and the channel, then `crm campaigns resume`"
                )
                moved = campaign.move("pause", at=now, reason=reason)
                report.paused.append((str(cid), reason))
            elif cid not in still_open and not campaign.is_sequence:
                moved = campaign.move("complete", at=now)
                report.completed.append(str(cid))
            else:
                continue
            if isinstance(moved, Success):
                uow.campaigns.save(moved.unwrap())
        return Success(None)

    transact(app, work)


def _prepare(
    app: App, renderer: _Renderer, *, batch: int, lease: timedelta
) -> Result[_Prepared, AppError]:
    """Claim and render a batch; a conflict with another worker (the first run storing
    the database's secret, say) is retried a few times."""
    for _ in range(3):
        result = transact(app, lambda uow: Success(renderer.prepare(uow, batch=batch, lease=lease)))
        if not (isinstance(result, Failure) and isinstance(result.failure(), Conflict)):
            return result
    return result


def _recorder(
    app: App,
    outcomes: Sequence[Outcome],
    unsent: Sequence[UUID],
    reached: Mapping[CampaignChannel, str | None],
) -> Callable[[UnitOfWork], Result[None, AppError]]:
    def record(uow: UnitOfWork) -> Result[None, AppError]:
        now = app.clock.now()
        uow.deliveries.finish(outcomes, at=now)
        uow.deliveries.release(unsent)
        # whether each channel's service was reached: the input of the service-down alert
        uow.measurements.record_many(
            [
                Measurement(
                    id=new_id,
                    name=f"{CHANNEL_SERVICE}{channel.value}",
                    at=now,
                    value=0.0 if why is not None else 1.0,
                    detail=why,
                )
                for (channel, why), new_id in zip(
                    reached.items(), app.ids.new_many(len(reached)), strict=True
                )
            ]
        )
        return Success(None)

    return record


def send_due(
    app: App,
    *,
    channels: Mapping[CampaignChannel, MessageChannel],
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    max_batches: int | None = None,
) -> Result[SendReport, AppError]:
    """Send everything due now, batch by batch, until nothing is left (or a channel
    fails: the unsent part of the batch goes back to pending and the report says why)."""
    report = SendReport()
    started = start_due(app)
    if isinstance(started, Failure):
        return Failure(started.failure())
    report.started += started.unwrap()
    advanced = transact(app, lambda uow: Success(advance_sequences(app, uow)))
    if isinstance(advanced, Failure):
        return Failure(advanced.failure())
    report.planned += advanced.unwrap()
    # decide A/B tests whose opens and clicks arrived since the last run
    running = transact(
        app, lambda uow: Success([c.id for c in uow.campaigns.list(status=CampaignStatus.RUNNING)])
    )
    if isinstance(running, Success) and running.unwrap():
        _upkeep(app, frozenset(running.unwrap()), report)
    renderer = _Renderer(app)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-send") as sender:
        failed = _send_batches(app, renderer, channels, sender, report, batch, lease, max_batches)
    return Success(report) if failed is None else Failure(failed)


def _send_batches(
    app: App,
    renderer: _Renderer,
    channels: Mapping[CampaignChannel, MessageChannel],
    sender: ThreadPoolExecutor,
    report: SendReport,
    batch: int,
    lease: timedelta,
    max_batches: int | None,
) -> AppError | None:
    """The batches, each claimed (committed) before its channel gets it; the next one is
    claimed and rendered here while the ``sender`` thread hands this one over, and this
    one's answers are recorded before the next is handed over. A batch that was claimed
    but never handed over (a channel failed, a campaign was paused) goes back to pending."""
    claimed = _prepare(app, renderer, batch=batch, lease=lease)
    while True:
        if isinstance(claimed, Failure):
            problem: AppError = claimed.failure()
            return problem
        prepared = claimed.unwrap()
        if prepared.claimed == 0:
            return None
        report.batches += 1
        report.suppressed += prepared.suppressed
        report.failed += prepared.failed
        report.sent += prepared.tasks
        handing = sender.submit(_deliver, prepared, channels)
        if max_batches is None or report.batches < max_batches:
            following = _prepare(app, renderer, batch=batch, lease=lease)
        else:
            following = Success(_NOTHING)
        try:
            delivered = handing.result()
        except BaseException:
            _release(app, following)
            raise
        overlapped = False
        if isinstance(following, Success):
            kept = _without(following.unwrap(), prepared)
            overlapped = kept is not following.unwrap()
            following = Success(kept)
        results, error = delivered.results, delivered.error
        outcomes: list[Outcome] = [
            (r.delivery_id, DeliveryStatus.SENT, r.message_id, None)
            if r.accepted
            else (r.delivery_id, DeliveryStatus.FAILED, None, r.error)
            for r in results
        ]
        recorded = transact(app, _recorder(app, outcomes, delivered.unsent, delivered.reached))
        if isinstance(recorded, Failure):
            _release(app, following)
            unrecorded: AppError = recorded.failure()
            return unrecorded
        report.sent += sum(1 for r in results if r.accepted)
        report.failed += sum(1 for r in results if not r.accepted)
        moves = len(report.paused) + len(report.decided)
        _upkeep(app, prepared.campaigns, report)
        if error is not None:
            report.error = error
            _release(app, following)
            return None
        if len(report.paused) + len(report.decided) != moves:
            # a campaign was paused or its A/B test decided: claim again under the new state
            _release(app, following)
            following = _prepare(app, renderer, batch=batch, lease=lease)
        elif overlapped and isinstance(following, Success) and not following.unwrap().claimed:
            # the claim took only this batch again (its lease ran out on the wire), not
            # what is still due: claim again now that this batch is recorded
            following = _prepare(app, renderer, batch=batch, lease=lease)
        claimed = following


_NOTHING = _Prepared(messages={}, campaigns=frozenset(), claimed=0, suppressed=0, failed=0, tasks=0)


def _without(following: _Prepared, handed: _Prepared) -> _Prepared:
    """``following`` without the messages ``handed`` over already: a lease shorter than a
    batch's sending lets the next claim take the batch still on the wire."""
    sent = {m.delivery_id for ms in handed.messages.values() for m in ms}
    kept = {
        channel: [m for m in ms if m.delivery_id not in sent]
        for channel, ms in following.messages.items()
    }
    dropped = sum(map(len, following.messages.values())) - sum(map(len, kept.values()))
    if not dropped:
        return following
    messages = {channel: ms for channel, ms in kept.items() if ms}
    return attrs.evolve(following, messages=messages, claimed=following.claimed - dropped)


def _release(app: App, claimed: Result[_Prepared, AppError]) -> None:
    """Put a claimed batch's messages, never handed over, back to pending."""
    if not isinstance(claimed, Success):
        return
    ids = [m.delivery_id for ms in claimed.unwrap().messages.values() for m in ms]
    if ids:

        def release(uow: UnitOfWork) -> Result[None, AppError]:
            uow.deliveries.release(ids)
            return Success(None)

        transact(app, release)
