"""Use cases of drip sequences: add (or install the shipped onboarding), enrol, list,
show with per-step numbers, and the worker's step that plans what fell due.

A sequence is stored as a campaign of kind ``sequence`` that is running from the start;
its steps are variants ``s1``, ``s2``, … (the step's template), and each step's
deliveries are keyed by (sequence, step number, contact), so the send worker sends them
like any campaign's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from importlib.resources import files
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.marketing.audience import audience
from crmcore.app.marketing.campaigns import reach
from crmcore.app.marketing.templates import add_template
from crmcore.domain.account import Account
from crmcore.domain.campaign import (
    SEQUENCE_KIND,
    Campaign,
    CampaignChannel,
    CampaignStatus,
    new_campaign,
)
from crmcore.domain.contact import Contact
from crmcore.domain.date_trigger import (
    SYNTAX,
    as_date,
    firing_key,
    firings,
    is_date_trigger,
    parse_date_trigger,
)
from crmcore.domain.errors import InvalidInput, RuleViolation
from crmcore.domain.filters import parse_filter
from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty_metrics import CustomerFacts
from crmcore.domain.offers import HIGH_VALUE_CALL, USAGE_LIMIT, check_offers, churn_trigger
from crmcore.domain.sequence import (
    ContactProgress,
    DripStep,
    SequenceGoal,
    StepCondition,
    plan_contact,
)
from crmcore.ports.marketing import DeliveryCounts, PlannedDelivery
from crmcore.ports.uow import UnitOfWork


def _by_name(uow: UnitOfWork, name: str) -> Campaign | None:
    for c in uow.campaigns.list():
        if c.is_sequence and c.name == name:
            return c
    return None


def add_sequence(
    app: App,
    *,
    name: str,
    steps: Sequence[DripStep],
    goal: SequenceGoal = SequenceGoal.NONE,
    channels: Sequence[CampaignChannel] = (CampaignChannel.EMAIL,),
    trigger: str = "manual",
) -> Result[Campaign, AppError]:
    """A running drip sequence (its templates must exist; names are unique)."""
    if not steps:
        return Failure(RuleViolation(rule="sequence", detail="at least one step"))
    if is_date_trigger(trigger):
        parsed = parse_date_trigger(trigger)
        if isinstance(parsed, Failure):
            return Failure(InvalidInput(errors=(parsed.failure(),)))
        if len(steps) != 1 or steps[0].day != 0:
            detail = "a date trigger sends one step, on day 0 (the firing day)"
            return Failure(RuleViolation(rule="trigger", detail=detail))
    elif trigger not in (
        "manual",
        "score",
        "signup",
        "converted",
        USAGE_LIMIT,
    ) and not trigger.startswith(("funnel:", "status:", "clv:", "churn:", "upsell:")):
        detail = (
            "manual, signup, converted, score, funnel:STAGE, status:STATUS, clv:STATUS, "
            "churn:REASON, upsell:SEGMENT, usage_limit or " + SYNTAX
        )
        return Failure(RuleViolation(rule="trigger", detail=detail))

    def work(uow: UnitOfWork) -> Result[Campaign, AppError]:
        if _by_name(uow, name) is not None:
            return Failure(RuleViolation(rule="sequence name", detail=f"{name!r} exists"))
        for step in steps:
            if uow.templates.get(step.template) is None:
                return Failure(NotFound(kind="template", key=step.template))
        now = app.clock.now()
        made = new_campaign(
            id=app.ids.new(),
            name=name,
            channels=channels,
            segment="(enrolled)",
            variants={f"s{n}": s.template for n, s in enumerate(steps, start=1)},
            at=now,
            kind=SEQUENCE_KIND,
        )
        if isinstance(made, Failure):
            return Failure(made.failure())
        sequence = attrs.evolve(made.unwrap(), steps=tuple(steps), goal=goal, trigger=trigger)
        for move in ("schedule", "start"):
            sequence = sequence.move(move, at=now).unwrap()
        uow.campaigns.add(sequence)
        return Success(sequence)

    return transact(app, work)


#: The sequences shipped as data: the onboarding (C5) and the activation nudges (P1: a
#: reminder after 24 hours, a call from the team after 3 days without activation).
SHIPPED = ("onboarding.json", "activation-nudges.json")


def install_shipped(app: App, file: str) -> Result[Campaign, AppError]:
    """One shipped sequence with its templates (existing templates of those names are
    kept)."""
    data: dict[str, Any] = json.loads(
        files("crmcore.app.marketing").joinpath(file).read_text(encoding="utf-8")
    )
    listed = transact(app, lambda uow: Success(list(uow.templates.list())), commit=False)
    existing = {t.name for t in listed.value_or([])}
    for s in data["steps"]:
        if s["template"] not in existing:
            added = add_template(app, name=s["template"], subject=s["subject"], body=s["body"])
            if isinstance(added, Failure):
                return Failure(added.failure())
    steps = [
        DripStep(
            day=s["day"],
            template=s["template"],
            condition=StepCondition(s["condition"]),
            channel=s.get("channel"),
        )
        for s in data["steps"]
    ]
    return add_sequence(
        app,
        name=data["name"],
        steps=steps,
        goal=SequenceGoal(data["goal"]),
        channels=[CampaignChannel(data["channel"])],
        trigger=data.get("trigger", "funnel:lead"),
    )


def add_templates(app: App, wanted: Sequence[Mapping[str, str]]) -> Result[None, AppError]:
    """The templates ``{template, subject, body}`` not stored yet, by name."""
    listed = transact(app, lambda uow: Success(list(uow.templates.list())), commit=False)
    existing = {t.name for t in listed.value_or([])}
    for t in wanted:
        if t["template"] not in existing:
            added = add_template(app, name=t["template"], subject=t["subject"], body=t["body"])
            if isinstance(added, Failure):
                return Failure(added.failure())
    return Success(None)


def shipped_data(file: str) -> dict[str, Any]:
    """A file shipped beside the marketing use cases, parsed."""
    data: dict[str, Any] = json.loads(
        files("crmcore.app.marketing").joinpath(file).read_text(encoding="utf-8")
    )
    return data


def retention_offers() -> dict[str, str]:
    """The shipped offer per churn-risk reason (``retention-offers.json``)."""
    return {o["reason"]: o["offer"] for o in shipped_data(RETENTION)["offers"]}


#: The shipped retention offers: one single-step sequence per churn-risk reason
#: (trigger ``churn:REASON``) and a personal call for high-value customers at red risk.
RETENTION = "retention-offers.json"


def install_retention_offers(app: App) -> Result[list[Campaign], AppError]:
    """The shipped retention sequences with their templates (those that exist already,
    by name, are kept)."""
    data = shipped_data(RETENTION)
    problems = check_offers({o["reason"]: o["offer"] for o in data["offers"]})
    if problems:
        return Failure(RuleViolation(rule="retention offers", detail="; ".join(problems)))
    call = data["high_value_call"]
    added = add_templates(app, [*data["offers"], call])
    if isinstance(added, Failure):
        return Failure(added.failure())
    wanted = [
        (f"retention-{o['reason']}", o["template"], _with_email(o["channel"]),
         churn_trigger(o["reason"]))
        for o in data["offers"]
    ]  # fmt: skip
    wanted.append(
        ("retention-high-value-call", call["template"], [CampaignChannel.CALL_LIST],
         HIGH_VALUE_CALL)
    )  # fmt: skip
    return install_one_step(app, wanted)


def _with_email(channel: str) -> list[CampaignChannel]:
    """``channel``, then e-mail for a contact it cannot reach (a call list has none)."""
    first = CampaignChannel(channel)
    if first in (CampaignChannel.EMAIL, CampaignChannel.CALL_LIST):
        return [first]
    return [first, CampaignChannel.EMAIL]


def install_one_step(
    app: App, wanted: Sequence[tuple[str, str, Sequence[CampaignChannel], str]]
) -> Result[list[Campaign], AppError]:
    """One-step sequences ``(name, template, channels, trigger)`` (the templates exist);
    sequences that exist already, by name, are kept."""
    listed = list_sequences(app)
    if isinstance(listed, Failure):
        return Failure(listed.failure())
    have = {c.name: c for c in listed.unwrap()}
    out = []
    for name, template, channels, trigger in wanted:
        if name in have:
            out.append(have[name])
            continue
        made = add_sequence(app, name=name, steps=[DripStep(day=0, template=template)],
                            channels=channels, trigger=trigger)  # fmt: skip
        if isinstance(made, Failure):
            return Failure(made.failure())
        out.append(made.unwrap())
    return Success(out)


def install_onboarding(app: App) -> Result[Campaign, AppError]:
    """The shipped onboarding (D0/1/3/7/14/21, goal: activated, trigger: a new lead in
    the b2c funnel) with its templates."""
    return install_shipped(app, "onboarding.json")


def enroll(
    app: App,
    *,
    name: str,
    segment: str | None = None,
    contact_ids: Sequence[ContactId] = (),
) -> Result[int, AppError]:
    """Enrol a segment's members and/or contacts; returns how many joined now."""

    def work(uow: UnitOfWork) -> Result[int, AppError]:
        sequence = _by_name(uow, name)
        if sequence is None:
            return Failure(NotFound(kind="sequence", key=name))
        who = list(contact_ids)
        if segment is not None:
            found = audience(uow, segment, now=app.clock.now())
            if isinstance(found, Failure):
                return Failure(found.failure())
            who += found.unwrap()
        return Success(uow.enrollments.enroll(sequence.id, who, at=app.clock.now()))

    return transact(app, work)


def list_sequences(app: App) -> Result[list[Campaign], AppError]:
    """Every sequence, oldest first."""
    return transact(
        app, lambda uow: Success([c for c in uow.campaigns.list() if c.is_sequence]), commit=False
    )


@attrs.frozen(kw_only=True)
class SequenceReport:
    """A sequence, who is in it, and each step's numbers."""

    sequence: Campaign
    members: dict[str, int]
    steps: dict[int, DeliveryCounts]


def show_sequence(app: App, *, name: str) -> Result[SequenceReport, AppError]:
    """A sequence with its enrolment summary and per-step delivery counts."""

    def work(uow: UnitOfWork) -> Result[SequenceReport, AppError]:
        sequence = _by_name(uow, name)
        if sequence is None:
            return Failure(NotFound(kind="sequence", key=name))
        return Success(
            SequenceReport(
                sequence=sequence,
                members=dict(uow.enrollments.summary(sequence.id)),
                steps=dict(uow.deliveries.counts_by_step(sequence.id)),
            )
        )

    return transact(app, work, commit=False)


def _enrol_signups(uow: UnitOfWork, sequence: Campaign, *, now: datetime) -> None:
    """The time trigger ``signup``: every contact created since the sequence was added
    joins it as of its creation, so a step on day 7 goes out 7 days after signup."""
    since = {"field": "contact.created_at", "op": "ge", "value": sequence.created_at.isoformat()}
    node = parse_filter(since).unwrap()
    new = uow.audience.members(node, now=now)
    if not new:
        return
    known = {e.contact_id for e in uow.enrollments.active(sequence.id)}
    for contact in uow.contacts.get_many([c for c in new if c not in known]):
        uow.enrollments.enroll(sequence.id, [contact.id], at=contact.created_at)


#: Contacts read per page when a date trigger is evaluated.
_PAGE = 1_000


def _date_of(field: str, contact: Contact, account: Account | None) -> date | None:
    record, name = field.split(".", 1)
    if record == "contact":
        return as_date(contact.created_at if name == "created_at" else contact.attributes.get(name))
    if account is None:
        return None
    return as_date(account.created_at if name == "created_at" else account.attributes.get(name))


def fire_date_trigger(uow: UnitOfWork, sequence: Campaign, *, now: datetime) -> int:
    """Plan the message of a date-triggered sequence for every contact whose date (plus
    the offset) fell due between the sequence's creation and today; returns how many
    were new. Each firing is the delivery keyed by (sequence, occurrence date, contact),
    so a firing planned once is never planned again (ADR 0020)."""
    parsed = parse_date_trigger(sequence.trigger)
    if isinstance(parsed, Failure):
        return 0
    trigger = parsed.unwrap()
    since, until = sequence.created_at.date(), now.date()
    accounts: dict[object, Account | None] = {}
    by_key: dict[int, list[PlannedDelivery]] = {}
    offset = 0
    while True:
        page = uow.contacts.list(limit=_PAGE, offset=offset)
        offset += len(page)
        for contact in page:
            account = None
            if trigger.record == "account" and contact.account_id is not None:
                if contact.account_id not in accounts:
                    accounts[contact.account_id] = uow.accounts.get(contact.account_id)
                account = accounts[contact.account_id]
            anchor = _date_of(trigger.field, contact, account)
            if anchor is None:
                continue
            due = firings(trigger, anchor, since=since, until=until)
            where = reach(sequence, contact) if due else None
            if where is None:
                continue
            for occurrence in due:
                by_key.setdefault(firing_key(occurrence), []).append(
                    PlannedDelivery(
                        contact_id=contact.id, address=where[1], channel=where[0], variant="s1"
                    )
                )
        if len(page) < _PAGE:
            break
    return sum(uow.deliveries.plan(sequence.id, k, p, at=now) for k, p in sorted(by_key.items()))


def _enrol_segment(uow: UnitOfWork, sequence: Campaign, segment: str, *, now: datetime) -> None:
    """``upsell:SEGMENT``: the segment's members join (once each) on every tick."""
    found = audience(uow, segment, now=now)
    if isinstance(found, Success) and found.unwrap():
        uow.enrollments.enroll(sequence.id, found.unwrap(), at=now)


def advance_sequences(app: App, uow: UnitOfWork) -> int:
    """Plan every due step of every running sequence; contacts who met the goal or
    unsubscribed leave. Returns how many deliveries were planned."""
    now = app.clock.now()
    planned_total = 0
    for sequence in uow.campaigns.list(status=CampaignStatus.RUNNING):
        if not sequence.is_sequence:
            continue
        if is_date_trigger(sequence.trigger):
            planned_total += fire_date_trigger(uow, sequence, now=now)
            continue
        if sequence.trigger == "signup":
            _enrol_signups(uow, sequence, now=now)
        elif sequence.trigger.startswith("upsell:"):
            _enrol_segment(uow, sequence, sequence.trigger.split(":", 1)[1], now=now)
        members = list(uow.enrollments.active(sequence.id))
        if not members:
            continue
        ids = [m.contact_id for m in members]
        contacts = {c.id: c for c in uow.contacts.get_many(ids)}
        facts = uow.loyalty_facts.get_many(ids)
        decided: dict[UUID, set[int]] = {}
        for d in uow.deliveries.for_contacts(ids):
            if d.campaign_id == sequence.id:
                decided.setdefault(d.contact_id, set()).add(d.step)
        reached = {cid: reach(sequence, c) for cid, c in contacts.items()}
        blocked: set[str] = set()
        for channel in sequence.channels:
            addresses = [r[1] for r in reached.values() if r is not None and r[0] is channel]
            blocked |= uow.consents.suppressed(channel, addresses)
        by_step: dict[int, list[PlannedDelivery]] = {}
        leaving: dict[str, list[ContactId]] = {}
        for m in members:
            contact = contacts.get(m.contact_id)
            where = reached.get(m.contact_id)
            if contact is None or where is None:
                leaving.setdefault("unreachable", []).append(m.contact_id)
                continue
            progress = ContactProgress(
                funnel_stage=contact.funnel.stage,
                purchases=facts.get(m.contact_id, CustomerFacts()).purchases,
                unsubscribed=where[1] in blocked,
            )
            plan = plan_contact(
                sequence.steps,
                sequence.goal,
                joined_at=m.joined_at,
                now=now,
                decided=frozenset(decided.get(m.contact_id, ())),
                progress=progress,
            )
            if plan.leave is not None:
                leaving.setdefault(plan.leave, []).append(m.contact_id)
                continue
            for step in plan.steps:
                own = sequence.steps[step.step - 1].channel
                target, unreachable = where, False
                if own is not None:  # a step on its own channel (a call for the unactivated)
                    one = attrs.evolve(sequence, channels=(CampaignChannel(own),))
                    found = reach(one, contact)
                    target, unreachable = (found, False) if found is not None else (where, True)
                by_step.setdefault(step.step, []).append(
                    PlannedDelivery(
                        contact_id=m.contact_id,
                        address=target[1],
                        channel=target[0],
                        variant=f"s{step.step}",
                        skipped=not step.send or unreachable,
                    )
                )
        for reason, who in leaving.items():
            uow.enrollments.leave(sequence.id, who, reason=reason, at=now)
        for step_number, planned in sorted(by_step.items()):
            planned_total += uow.deliveries.plan(sequence.id, step_number, planned, at=now)
    return planned_total
