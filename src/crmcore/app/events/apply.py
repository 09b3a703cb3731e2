"""Applying interactions set-wise: one read per kind of row, one write per table.

:class:`Batch` loads, in a handful of queries, everything the events of a batch may
touch: the contacts their user ids, e-mails and phones can match and those contacts'
facts. It then applies the events *in order* against that
identity map (a contact created or enriched by one event is matched by the next ones),
buffering every write, and :meth:`Batch.flush` stores them with one bulk statement per
table, then hands the domain events the batch recorded to the message bus, whose
handlers (board, health, lead score, CLV, the marketing prompts) react in the same
transaction. Contact updates keep their version checks, so a concurrent worker's change
is still detected (``ConcurrentModification``) and the batch rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
from returns.result import Success

from crmcore.app.context import App
from crmcore.app.events.config import EventServices
from crmcore.app.logging import get_logger, log_step
from crmcore.domain import reactions
from crmcore.domain.activity import Activity
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.events import DomainEvent
from crmcore.domain.facts import Fact, FactLedger
from crmcore.domain.ids import ActivityId, ContactId
from crmcore.domain.insight import CustomerFacts, Insight
from crmcore.domain.interactions import (
    ActionGenerated,
    AppLogin,
    Billing,
    BillingKind,
    CustomerStatusChanged,
    EmailClicked,
    EmailEngagement,
    EmailOpened,
    Feedback,
    FeedbackAnalysed,
    FormAnswer,
    FormAnswered,
    FunnelStageChanged,
    Interaction,
    InteractionType,
    LoginRecorded,
    Purchase,
    PurchaseRecorded,
    UsageLimit,
)
from crmcore.domain.matching import Ambiguous, CreateContact, Matched, decide_match
from crmcore.domain.names import PersonName
from crmcore.domain.review import ReviewItem, ReviewReason, queued
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from crmcore.ports.event_processing import EventUnitOfWork, LedgerInsight

_log = get_logger()
_FEEDBACK = frozenset((InteractionType.REVIEW, InteractionType.MESSAGE))


@attrs.frozen
class Applied:
    """The event was applied to this contact (``new``: it added facts; a replay adds none)."""

    contact_id: ContactId
    new: bool = True


@attrs.frozen
class NeedsReview:
    """The event waits for an operator: this item says why."""

    item: ReviewItem


class UnknownContact(LookupError):
    """An operator chose a contact that does not exist."""

    def __init__(self, contact_id: ContactId) -> None:
        super().__init__(f"contact {contact_id} not found")
        self.contact_id = contact_id


class ContactCache:
    """Contacts and their fact ledgers as this worker's own commits left them.

    An entry serves a later batch only while the contact's stored version is still the
    cached one. The pipeline saves every contact it records a fact for (see
    :meth:`Batch.flush`), so an unmoved version means neither the contact nor its facts
    changed, whoever else wrote since. A batch takes its entries out and puts them back
    only after it commits: a batch rolled back leaves nothing stale behind.
    """

    def __init__(self, *, limit: int = 100_000) -> None:
        self._limit = limit
        # keyed by the id's int: it hashes in C, a UUID in Python
        self._entries: dict[int, tuple[Contact, FactLedger]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, contact_id: ContactId, version: int) -> tuple[Contact, FactLedger] | None:
        """The cached contact and ledger when still at ``version`` (removed either way)."""
        entry = self._entries.pop(contact_id.int, None)
        if entry is None or entry[0].version != version:
            return None
        return entry

    def put(self, contact: Contact, ledger: FactLedger) -> None:
        """Keep a contact (at its stored version) and its facts; the oldest go first."""
        entries = self._entries
        entries[contact.id.int] = (contact, ledger)
        while len(entries) > self._limit:
            del entries[next(iter(entries))]


class Batch:
    """The contacts, facts and leads a batch of interactions touches, and its writes.

    Every lookup the events make is answered from what the constructor loaded plus what
    earlier events of the batch changed, exactly as if each event had been applied and
    stored before the next one was read. Contacts are keyed by their id's ``int`` (it
    hashes in C; a UUID hashes in Python).
    """

    def __init__(
        self,
        app: App,
        services: EventServices,
        uow: EventUnitOfWork,
        interactions: Sequence[Interaction],
        *,
        now: datetime,
        cache: ContactCache | None = None,
        actions: bool = True,
    ) -> None:
        self.app, self.services, self.uow, self.now = app, services, uow, now
        #: whether interactions call for actions (an import of history queues none)
        self.actions = actions
        #: contacts this batch created
        self.created = 0
        self._cache = cache
        insight = services.insight
        # a ledger's insight: read from its running fold when the port can, else from
        # the facts it folds
        self.assess: Callable[[FactLedger], Insight] = (
            insight.assess_ledger
            if isinstance(insight, LedgerInsight)
            else lambda ledger: insight.assess(ledger.facts())
        )
        self._contacts: dict[int, Contact] = {}
        self._stored: dict[int, Contact] = {}
        # the current state of the contact each key names (phones: ids, in id order)
        self._by_user: dict[str, Contact] = {}
        self._by_email: dict[str, Contact] = {}
        self._by_phone: dict[str, list[ContactId]] = {}
        self._ledgers: dict[int, FactLedger] = {}
        self._new: list[int] = []
        self._saved: set[int] = set()
        self._with_facts: set[int] = set()
        self._facts: list[Fact] = []
        self._activities: list[Activity] = []
        self._reviews: list[ReviewItem] = []
        # each contact's net funnel move and status change in this batch
        self._stage_moves: dict[int, FunnelStageChanged] = {}
        self._status_moves: dict[int, CustomerStatusChanged] = {}
        customers = [i.customer for i in interactions]
        # keys told apart by their text (an Email or Phone hashes in Python)
        emails = {c.email.value: c.email for c in customers if c.email is not None}
        phones = {c.phone.e164: c.phone for c in customers if c.phone is not None}
        versions = uow.contacts.find_versions(
            user_ids={c.user_id for c in customers if c.user_id is not None},
            emails=list(emails.values()),
            phones=list(phones.values()),
        )
        missing: list[ContactId] = []
        take = cache.take if cache is not None else None
        stored = self._stored
        for contact_id, version in versions.items():
            hit = take(contact_id, version) if take is not None else None
            if hit is None:
                missing.append(contact_id)
            else:
                stored[contact_id.int] = hit[0]
                self._remember(*hit)
        if missing:
            history = uow.facts.facts_of(missing)
            for contact in uow.contacts.get_many(missing):
                stored[contact.id.int] = contact
                self._remember(contact, FactLedger(history.get(contact.id, ())))

    # -- the identity map ----------------------------------------------------------------

    def _remember(self, contact: Contact, ledger: FactLedger | None = None) -> None:
        """Hold ``contact`` as its current state, with its keys pointing at it."""
        key = contact.id.int
        old = self._contacts.get(key)
        if old is not None:
            # a key that names this contact names its current state, ``old``
            if old.user_id is not None and self._by_user.get(old.user_id) is old:
                del self._by_user[old.user_id]
            if old.email is not None and self._by_email.get(old.email.value) is old:
                del self._by_email[old.email.value]
            if old.phone is not None:
                self._by_phone[old.phone.e164].remove(old.id)
        self._contacts[key] = contact
        if ledger is not None:
            self._ledgers[key] = ledger
        if contact.user_id is not None:
            self._by_user[contact.user_id] = contact
        if contact.email is not None:
            self._by_email[contact.email.value] = contact
        if contact.phone is not None:
            ids = self._by_phone.setdefault(contact.phone.e164, [])
            ids.append(contact.id)
            ids.sort()

    def reachable(self, contact_id: ContactId, changes: dict[str, Any]) -> bool:
        """Whether the contact, with ``changes``, has an e-mail or a phone."""
        held = self._contacts[contact_id.int]
        email = changes.get("email", held.email)
        phone = changes.get("phone", held.phone)
        return email is not None or phone is not None

    def contact(self, contact_id: ContactId) -> Contact | None:
        """A contact by id: from the batch, else loaded (with its facts) into it."""
        held = self._contacts.get(contact_id.int)
        if held is not None:
            return held
        stored = self.uow.contacts.get(contact_id)
        if stored is None:
            return None
        self._stored[contact_id.int] = stored
        facts = self.uow.facts.facts_of([contact_id]).get(contact_id, ())
        self._remember(stored, FactLedger(facts))
        return stored

    def add_contact(self, contact: Contact) -> None:
        """A contact created by this batch."""
        self.created += 1
        self._new.append(contact.id.int)
        self._remember(contact, FactLedger())

    def replace_contact(self, contact: Contact) -> None:
        """The new state of a contact of this batch, known to differ from the held one."""
        self._remember(contact)

    def facts_for(self, contact_id: ContactId) -> CustomerFacts:
        """What is known about a contact of this batch, including this batch's facts."""
        return self._ledgers[contact_id.int].facts()

    def ledger(self, contact_id: ContactId) -> FactLedger:
        """The facts of a contact of this batch, including this batch's (to read or to
        :meth:`record` into)."""
        return self._ledgers[contact_id.int]

    def record(self, ledger: FactLedger, facts: Sequence[Fact]) -> bool:
        """Derived facts, in order, for the contact whose :meth:`ledger` is ``ledger``; one
        whose key is already known changes nothing. Whether any was new."""
        recorded = False
        for fact in facts:
            if ledger.add(fact):
                self._facts.append(fact)
                recorded = True
        if recorded:
            self._with_facts.add(facts[0].contact_id.int)
        return recorded

    def stage_moved(self, event: FunnelStageChanged) -> None:
        """A contact's funnel stage moved; the batch reports each contact's net move once."""
        _keep_net(self._stage_moves, event)

    def status_changed(self, event: CustomerStatusChanged) -> None:
        """A contact's status changed; the batch reports each contact's net change once."""
        _keep_net(self._status_moves, event)

    def add_activity(self, activity: Activity) -> None:
        self._activities.append(activity)

    def add_review(self, item: ReviewItem) -> None:
        self._reviews.append(item)

    # -- matching ------------------------------------------------------------------------

    def match(
        self, interaction: Interaction, *, forced: ContactId | None
    ) -> tuple[Contact, bool, dict[str, Any]] | tuple[Ambiguous, bool, dict[str, Any]]:
        """The contact an interaction is about, whether it is new, and the changes that
        enrich it with the interaction's keys (to make with ``updated_at``; none when it
        has them all); or why it is ambiguous. User id, then e-mail, then phone decide."""
        customer = interaction.customer
        if forced is not None:
            chosen = self.contact(forced)
            if chosen is None:
                raise UnknownContact(forced)
            return chosen, False, {}
        contact = self._by_user.get(customer.user_id) if customer.user_id else None
        if contact is not None:
            # decide_match's first rule: the user id wins outright, whatever the e-mail
            # and phone name; only the contact's missing keys are then looked at
            if _log.isEnabledFor(logging.INFO):
                log_step(_log, "matched", interaction.event_id, decision="Matched")
            email = contact.email
            phone = contact.phone
            if (email is not None or customer.email is None) and (
                phone is not None or customer.phone is None
            ):
                return contact, False, {}
            if (
                email is None
                and customer.email is not None
                and customer.email.value not in self._by_email
            ):
                email = customer.email
            phone = phone or customer.phone
            if email is contact.email and phone is contact.phone:
                return contact, False, {}
            return contact, False, {"user_id": contact.user_id, "email": email, "phone": phone}
        return self._match_by_keys(interaction)

    def _match_by_keys(
        self, interaction: Interaction
    ) -> tuple[Contact, bool, dict[str, Any]] | tuple[Ambiguous, bool, dict[str, Any]]:
        """:meth:`match` when the user id names nobody of the batch: as
        :func:`decide_match` decides."""
        customer = interaction.customer
        by_email_contact = self._by_email.get(customer.email.value) if customer.email else None
        by_email = by_email_contact.id if by_email_contact is not None else None
        by_phone = self._by_phone.get(customer.phone.e164, []) if customer.phone else []
        decision = decide_match(by_user_id=None, by_email=by_email, by_phone=by_phone)
        if _log.isEnabledFor(logging.INFO):
            log_step(_log, "matched", interaction.event_id, decision=type(decision).__name__)
        if isinstance(decision, Matched):
            contact = self._contacts[decision.contact_id.int]
            user_id = contact.user_id or customer.user_id
            email = contact.email or (customer.email if by_email is None else None)
            phone = contact.phone or customer.phone
            if user_id == contact.user_id and email == contact.email and phone == contact.phone:
                return contact, False, {}
            return contact, False, {"user_id": user_id, "email": email, "phone": phone}
        if isinstance(decision, Ambiguous):
            return decision, False, {}
        assert isinstance(decision, CreateContact)
        return _new_contact(self.app, interaction, now=self.now), True, {}

    # -- writing -------------------------------------------------------------------------

    def flush(self) -> None:
        """Store every buffered write: one bulk statement per table (call it once per
        unit of work, after the last event).

        A stored contact is saved when it changed *or* got facts: its version moves with
        its facts, which is what lets a :class:`ContactCache` trust an unmoved version
        and a concurrent worker's facts conflict with ours.
        """
        uow = self.uow
        contacts, stored_of, with_facts = self._contacts, self._stored.get, self._with_facts
        uow.contacts.add_many([contacts[k] for k in self._new])
        changed: list[Contact] = []
        touched: list[Contact] = []
        saved: list[int] = []
        for k, c in contacts.items():
            stored = stored_of(k)
            if stored is None:  # new: inserted above
                continue
            if c is not stored and c != stored:
                changed.append(c)
                saved.append(k)
            elif k in with_facts:
                touched.append(c)
                saved.append(k)
        uow.contacts.save_many(changed)
        uow.contacts.touch_many(touched)
        uow.facts.record_many(self._facts)
        uow.activities.add_many(self._activities)
        uow.review_queue.add_many(self._reviews)
        self._saved.update(saved)
        self._saved.update(self._new)
        self._new.clear()
        self._facts.clear()
        self._activities.clear()
        self._reviews.clear()
        uow.record(
            *self._stage_moves.values(),
            *(e for e in self._status_moves.values() if e.previous != e.status),
        )
        self._stage_moves.clear()
        self._status_moves.clear()
        # the reactions of the other capabilities, in the same transaction
        self.app.bus.handle(self.app, uow)

    def committed(self) -> None:
        """The unit of work committed what :meth:`flush` wrote: hand the contacts, at
        their new versions, and their ledgers to the cache."""
        cache = self._cache
        if cache is None:
            return
        stored_of, saved, ledgers, put = self._stored.get, self._saved, self._ledgers, cache.put
        for key, contact in self._contacts.items():
            stored = stored_of(key)
            if key in saved:
                version = stored.version + 1 if stored is not None else 1
                contact = attrs.evolve(contact, version=version)
            elif stored is None or (contact is not stored and contact != stored):
                continue  # changed but not written (a flush was skipped): not cached
            put(contact, ledgers[key])


Net = TypeVar("Net", FunnelStageChanged, CustomerStatusChanged)


def _keep_net(moves: dict[int, Net], event: Net) -> None:
    """Hold ``event`` as its contact's latest change, from the first change's ``previous``."""
    first = moves.get(event.contact_id.int)
    moves[event.contact_id.int] = (
        event if first is None else attrs.evolve(event, previous=first.previous)
    )


def apply_interaction(
    app: App,
    services: EventServices,
    uow: EventUnitOfWork,
    interaction: Interaction,
    *,
    now: datetime,
    label: SentimentLabel | None = None,
    contact_id: ContactId | None = None,
) -> Applied | NeedsReview:
    """Apply one interaction inside the caller's unit of work (a batch of one)."""
    batch = Batch(app, services, uow, [interaction], now=now)
    outcome = apply_in_batch(batch, interaction, label=label, contact_id=contact_id)
    batch.flush()
    return outcome


def apply_in_batch(
    batch: Batch,
    interaction: Interaction,
    *,
    label: SentimentLabel | None = None,
    contact_id: ContactId | None = None,
) -> Applied | NeedsReview:
    """Route one interaction and record what it changes, in ``batch``.

    The rules live in :mod:`crmcore.domain.reactions`; this function matches the
    contact, asks those rules, buffers their facts, contact changes and actions, and
    records the domain events the message bus hands to the other capabilities' handlers
    (board, health, lead score, CLV) when the batch is flushed. An interaction whose facts
    are all known already (a re-import, a replay) changes nothing and records nothing.

    ``label`` and ``contact_id`` are an operator's review decisions; given, they replace
    the model's answer and the matching (and a matched contact overrides business rules).
    Raises ``DownstreamUnavailable`` / storage errors; the caller rolls back and retries.
    """
    services, now = batch.services, batch.now
    event_id = interaction.event_id
    itype = interaction.type
    details = interaction.details
    # 1. decisions that need no writes: sentiment, matching, business rules
    sentiment: Sentiment | None = None
    if itype in _FEEDBACK:
        assert isinstance(details, Feedback)
        if label is not None:
            sentiment = Sentiment(label=label, confidence=1.0)
        else:
            sentiment = services.sentiment.analyse(details.text)
            log_step(
                _log, "sentiment", event_id, label=sentiment.label, confidence=sentiment.confidence
            )
            threshold = services.settings.review_threshold
            if not sentiment.confident(threshold):
                return _review(
                    batch,
                    interaction,
                    reason=ReviewReason.LOW_CONFIDENCE,
                    detail=f"sentiment confidence {sentiment.confidence:.2f} < {threshold:.2f}",
                    proposed=f"label {sentiment.label}",
                    sentiment=sentiment,
                )
    contact, created, changes = batch.match(interaction, forced=contact_id)
    if isinstance(contact, Ambiguous):
        return _review(
            batch,
            interaction,
            reason=ReviewReason.AMBIGUOUS_MATCH,
            detail=contact.reason,
            proposed=f"match {contact.candidates[0]}",
            candidates=contact.candidates,
        )
    owner = contact.id
    if (
        contact_id is None
        and isinstance(details, Billing)
        and details.kind is BillingKind.REFUND
        and (created or not batch.facts_for(owner).purchases)
    ):
        return _review(
            batch,
            interaction,
            reason=ReviewReason.BUSINESS_RULE,
            detail="a refund for a customer with no recorded purchase",
            proposed=f"match {owner} and record the refund" if not created else "discard",
            candidates=() if created else (owner,),
        )
    # 2. writes: the facts first; nothing new means the interaction was applied before
    if created:
        batch.add_contact(contact)
    ledger = batch.ledger(owner)
    facts = reactions.facts_of(interaction, owner, sentiment)
    if facts and not batch.record(ledger, facts) and not created:
        if changes:
            changes["updated_at"] = now
            batch.replace_contact(attrs.evolve(contact, **changes))
        return Applied(owner, new=False)
    events = _events(interaction, owner, sentiment)
    # 3. the contact's stages and status, and the actions they call for
    lifecycle = reactions.lifecycle_after(contact, interaction)
    if lifecycle is not None:
        changes["lifecycle"] = lifecycle
    known = ledger.facts()
    stage = contact.funnel.stage
    held = batch.reachable(owner, changes)
    target = reactions.funnel_target(
        stage, interaction, known, reachable=held, promoter=ledger.promoter
    )
    if target is not None:
        at = max(interaction.occurred_at, _last_entry(contact))
        moved = contact.funnel.advance(target, at=at)
        if isinstance(moved, Success):
            changes["funnel"] = moved.unwrap()
            batch.stage_moved(
                FunnelStageChanged(
                    contact_id=owner,
                    event_id=event_id,
                    previous=stage.value,
                    stage=target.value,
                    occurred_at=interaction.occurred_at,
                )
            )
    insight = batch.assess(ledger)
    previous = contact.attributes.get("status")
    attributes = reactions.status_attributes(contact.attributes, insight)
    if attributes is not None:
        changes["attributes"] = attributes
        batch.status_changed(
            CustomerStatusChanged(
                contact_id=owner,
                event_id=event_id,
                previous=str(previous) if previous is not None else None,
                status=insight.status.value,
                reasons=insight.reasons,
            )
        )
    specs = (
        reactions.actions_for(
            created=created,
            previous_status=previous,
            insight=insight,
            sentiment=sentiment,
            interaction_type=itype,
        )
        if batch.actions
        else ()
    )
    actions = [_action(batch, owner, event_id, spec) for spec in specs]
    if changes:
        # each change differs from the held contact (a key, a stage, the status)
        changes["updated_at"] = now
        batch.replace_contact(attrs.evolve(contact, **changes))
    batch.uow.record(*events, *actions)
    return Applied(owner)


def _last_entry(contact: Contact) -> datetime:
    history = contact.funnel.history
    return history[-1].at if history else datetime.min.replace(tzinfo=UTC)


def _events(
    interaction: Interaction, owner: ContactId, sentiment: Sentiment | None
) -> list[DomainEvent]:
    """The domain events announcing what the interaction added (for the handlers)."""
    details, event_id, at = interaction.details, interaction.event_id, interaction.occurred_at
    if isinstance(details, Purchase):
        return [
            PurchaseRecorded(
                contact_id=owner,
                event_id=event_id,
                amount=details.amount.amount,
                currency=details.amount.currency,
                occurred_at=at,
                channel=details.channel,
                product=details.product,
            )
        ]
    if isinstance(details, EmailEngagement):
        if interaction.type is InteractionType.EMAIL_OPENED:
            return [
                EmailOpened(
                    contact_id=owner,
                    event_id=event_id,
                    campaign_id=details.campaign_id,
                    occurred_at=at,
                )
            ]
        return [
            EmailClicked(
                contact_id=owner,
                event_id=event_id,
                campaign_id=details.campaign_id,
                url=details.url or "",
                occurred_at=at,
            )
        ]
    if isinstance(details, AppLogin):
        return [LoginRecorded(contact_id=owner, event_id=event_id, occurred_at=at)]
    if isinstance(details, UsageLimit):
        reached = reactions.limit_reached(interaction, owner)
        return [] if reached is None else [reached]
    if sentiment is not None:
        return [
            FeedbackAnalysed(
                contact_id=owner,
                event_id=event_id,
                label=sentiment.label.value,
                confidence=sentiment.confidence,
                public_review=interaction.type is InteractionType.REVIEW
                and sentiment.label is SentimentLabel.POSITIVE,
                occurred_at=at,
            )
        ]
    if isinstance(details, FormAnswer):
        nps = details.answers.get("nps")
        return [
            FormAnswered(
                contact_id=owner,
                event_id=event_id,
                questions=tuple(sorted(details.answers)),
                nps=nps if isinstance(nps, int) and not isinstance(nps, bool) else None,
                occurred_at=at,
            )
        ]
    return []


def _action(
    batch: Batch, contact_id: ContactId, event_id: str, spec: reactions.ActionSpec
) -> ActionGenerated:
    """An action for one event: its activity (buffered in ``batch``) and the
    ``crm.action.generated`` event that announces it."""
    activity = Activity(
        id=ActivityId(batch.app.ids.new()),
        type=spec.channel,
        subject=spec.subject,
        description=f"{spec.reason} (event {event_id})",
        contact_id=contact_id,
        actor="pipeline",
        due_at=reactions.due_at(spec, batch.now),
        created_at=batch.now,
    )
    batch.add_activity(activity)
    log_step(_log, "action", event_id, kind=spec.kind, contact_id=contact_id)
    return ActionGenerated(
        contact_id=contact_id,
        event_id=event_id,
        kind=spec.kind,
        activity_id=activity.id,
        reason=spec.reason,
    )


def _new_contact(app: App, interaction: Interaction, *, now: datetime) -> Contact:
    c = interaction.customer
    fallback = (
        c.email.value.partition("@")[0]
        if c.email
        else (c.user_id or (c.phone.e164 if c.phone else "Customer"))
    )
    # no name given (a purchase names its customer by id): the fallback, without a parse
    parsed = PersonName.parse(c.first_name, c.last_name) if c.first_name or c.last_name else None
    name = parsed.unwrap() if isinstance(parsed, Success) else PersonName(fallback[:100], "")
    lifecycle = (
        LifecycleStage.CUSTOMER
        if interaction.type is InteractionType.PURCHASE
        else LifecycleStage.LEAD
    )
    return Contact(
        id=ContactId(app.ids.new()),
        name=name,
        email=c.email,
        phone=c.phone,
        user_id=c.user_id,
        lifecycle=lifecycle,
        attributes={"source_event": interaction.event_id},
        created_at=now,
        updated_at=now,
    )


def _review(
    batch: Batch,
    interaction: Interaction,
    *,
    reason: ReviewReason,
    detail: str,
    proposed: str,
    sentiment: Sentiment | None = None,
    candidates: tuple[ContactId, ...] = (),
) -> NeedsReview:
    item = ReviewItem(
        id=batch.app.ids.new(),
        event_id=interaction.event_id,
        reason=reason,
        detail=detail,
        proposed_action=proposed,
        proposed_label=sentiment.label if sentiment else None,
        confidence=sentiment.confidence if sentiment else None,
        candidates=candidates,
        created_at=batch.now,
    )
    batch.add_review(item)
    batch.uow.record(queued(item))
    return NeedsReview(item)
