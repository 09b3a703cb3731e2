"""Applying interactions set-wise: one read per kind of row, one write per table.

:class:`Batch` loads, in a handful of queries, everything the events of a batch may
touch: the contacts their user ids, e-mails and phones can match, those contacts' facts
and the leads their e-mails name. It then applies the events *in order* against that
identity map (a contact created or enriched by one event is matched by the next ones),
buffering every write, and :meth:`Batch.flush` stores them with one bulk statement per
table. Contact and lead updates keep their version checks, so a concurrent worker's
change is still detected (``ConcurrentModification``) and the batch rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
from returns.result import Success

from crmcore.app.clv.clv import refresh_in
from crmcore.app.context import App
from crmcore.app.events.config import EventServices
from crmcore.app.logging import get_logger, log_step
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.events import DomainEvent
from crmcore.domain.facts import Fact, FactKind, FactLedger
from crmcore.domain.ids import ActivityId, ContactId
from crmcore.domain.insight import CustomerFacts, CustomerStatus, Insight
from crmcore.domain.interactions import (
    ActionGenerated,
    AppLogin,
    Billing,
    BillingKind,
    EmailClicked,
    EmailEngagement,
    EmailOpened,
    Feedback,
    FeedbackAnalysed,
    FormAnswer,
    Interaction,
    InteractionType,
    Purchase,
    PurchaseRecorded,
)
from crmcore.domain.lead import Engagement, Lead
from crmcore.domain.matching import Ambiguous, CreateContact, Matched, decide_match
from crmcore.domain.names import PersonName
from crmcore.domain.review import ReviewItem, ReviewReason, queued
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from crmcore.ports.event_processing import EventUnitOfWork, LedgerInsight

_log = get_logger()
_evolve_contact = attrs.evolve
# members read for every event, as module names (a class attribute costs ~60 ns more)
_FEEDBACK = frozenset((InteractionType.REVIEW, InteractionType.MESSAGE))
_NOT_YET_CUSTOMER = frozenset((LifecycleStage.LEAD, LifecycleStage.PROSPECT))
_PURCHASE = FactKind.PURCHASE
_ENGAGEMENT = FactKind.ENGAGEMENT
_SENTIMENT = FactKind.SENTIMENT
_LOYALTY = FactKind.LOYALTY
_BILLING = FactKind.BILLING
_NEGATIVE = SentimentLabel.NEGATIVE


@attrs.frozen
class Applied:
    """The event changed this contact's state."""

    contact_id: ContactId


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
    ) -> None:
        self.app, self.services, self.uow, self.now = app, services, uow, now
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
        lead_emails = {
            i.customer.email.value: i.customer.email
            for i in interactions
            if isinstance(i.details, EmailEngagement) and i.customer.email is not None
        }
        self._leads: dict[str, Lead] = {
            lead.email.value: lead
            for lead in uow.leads.find_many_by_email(list(lead_emails.values()))
        }
        self._changed_leads: dict[str, Lead] = {}

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
        self._new.append(contact.id.int)
        self._remember(contact, FactLedger())

    def save_contact(self, contact: Contact) -> None:
        """The new state of a contact of this batch."""
        held = self._contacts[contact.id.int]
        if contact is not held and contact != held:
            self._remember(contact)

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

    def record(self, ledger: FactLedger, facts: Sequence[Fact]) -> None:
        """Derived facts, in order, for the contact whose :meth:`ledger` is ``ledger``; one
        whose key is already known changes nothing."""
        recorded = False
        for fact in facts:
            if ledger.add(fact):
                self._facts.append(fact)
                recorded = True
        if recorded:
            self._with_facts.add(facts[0].contact_id.int)

    def add_activity(self, activity: Activity) -> None:
        self._activities.append(activity)

    def add_review(self, item: ReviewItem) -> None:
        self._reviews.append(item)

    def lead(self, email: str) -> Lead | None:
        """The lead with this e-mail, as this batch left it (loaded for e-mail events)."""
        return self._leads.get(email)

    def save_lead(self, lead: Lead) -> None:
        self._leads[lead.email.value] = lead
        self._changed_leads[lead.email.value] = lead

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
        purchase = FactKind.PURCHASE
        purchasers = {f.contact_id.int: f.contact_id for f in self._facts if f.kind is purchase}
        uow.facts.record_many(self._facts)
        refresh_in(self.app, uow, purchasers.values())  # C9: their CLV with the stored fit
        uow.activities.add_many(self._activities)
        uow.leads.save_many(list(self._changed_leads.values()))
        uow.review_queue.add_many(self._reviews)
        self._saved.update(saved)
        self._saved.update(self._new)
        self._new.clear()
        self._facts.clear()
        self._activities.clear()
        self._changed_leads.clear()
        self._reviews.clear()

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
                contact = _evolve_contact(contact, version=version)
            elif stored is None or (contact is not stored and contact != stored):
                continue  # changed but not written (a flush was skipped): not cached
            put(contact, ledgers[key])


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
    """Route one interaction and update derived state, in ``batch``.

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
    # 2. writes. The contact's changes (``changes`` holds its enrichment by the match)
    # are made at the end, in one copy.
    if created:
        batch.add_contact(contact)
    ledger = batch.ledger(owner)
    events: list[DomainEvent] = []
    actions: list[DomainEvent] = []  # recorded after ``events``
    if created:
        actions.append(
            _action(
                batch,
                owner,
                event_id,
                "welcome",
                ActivityType.EMAIL,
                "Welcome path started",
                "new customer",
            )
        )
    at = interaction.occurred_at
    facts: list[Fact]
    if isinstance(details, Purchase):
        facts = [_fact(owner, event_id, _PURCHASE, "", details.amount, at)]
        if contact.lifecycle in _NOT_YET_CUSTOMER:
            changes["lifecycle"] = LifecycleStage.CUSTOMER
        events.append(
            PurchaseRecorded(
                contact_id=owner,
                event_id=event_id,
                amount=details.amount.amount,
                currency=details.amount.currency,
                occurred_at=at,
            )
        )
    elif isinstance(details, EmailEngagement):
        facts = [_fact(owner, event_id, _ENGAGEMENT, itype.value, None, at)]
        _count_on_lead(batch, interaction, now=now)
        if itype is InteractionType.EMAIL_OPENED:
            events.append(
                EmailOpened(
                    contact_id=owner,
                    event_id=event_id,
                    campaign_id=details.campaign_id,
                    occurred_at=at,
                )
            )
        else:
            events.append(
                EmailClicked(
                    contact_id=owner,
                    event_id=event_id,
                    campaign_id=details.campaign_id,
                    url=details.url or "",
                    occurred_at=at,
                )
            )
    elif isinstance(details, AppLogin):
        facts = [_fact(owner, event_id, _ENGAGEMENT, "app_login", None, at)]
    elif sentiment is not None:
        facts = [_fact(owner, event_id, _SENTIMENT, "", sentiment, at)]
        events.append(
            FeedbackAnalysed(
                contact_id=owner,
                event_id=event_id,
                label=sentiment.label.value,
                confidence=sentiment.confidence,
            )
        )
        if itype is InteractionType.REVIEW and sentiment.label is SentimentLabel.POSITIVE:
            facts.append(_fact(owner, event_id, _LOYALTY, "public_review", True, at))
    elif isinstance(details, FormAnswer):
        facts = [
            _fact(owner, event_id, _LOYALTY, name, value, at)
            for name, value in sorted(details.answers.items())
        ]
    elif isinstance(details, Billing):
        facts = [_fact(owner, event_id, _BILLING, details.kind.value, details.amount, at)]
    else:
        facts = []
    if facts:
        batch.record(ledger, facts)
    # 3. derived status and the actions its change calls for (one task per event at most)
    negative_task = sentiment is not None and sentiment.label is _NEGATIVE
    insight = batch.assess(ledger)
    status = insight.status
    if status != contact.attributes.get("status"):  # a StrEnum member equals its value
        changes["attributes"] = {
            **contact.attributes,
            "status": status.value,
            "status_reasons": list(insight.reasons),
        }
        reason = ", ".join(insight.reasons)
        if status is CustomerStatus.HOT:
            actions.append(
                _action(
                    batch,
                    owner,
                    event_id,
                    "offer",
                    ActivityType.EMAIL,
                    "Personal offer queued",
                    reason,
                )
            )
        elif status is CustomerStatus.LEAVING:
            actions.append(
                _action(
                    batch,
                    owner,
                    event_id,
                    "manager_task",
                    ActivityType.TASK,
                    "Call the customer with an individual offer",
                    reason,
                    due=now + timedelta(days=1),
                )
            )
            negative_task = False
    if negative_task:
        actions.append(
            _action(
                batch,
                owner,
                event_id,
                "manager_task",
                ActivityType.TASK,
                f"Negative {itype.value}: contact the customer",
                "negative feedback",
                due=now + timedelta(days=1),
            )
        )
    if changes:
        # each change differs from the held contact (a key, the lifecycle, the status)
        changes["updated_at"] = now
        batch.replace_contact(_evolve_contact(contact, **changes))
    batch.uow.record(*events, *actions)
    return Applied(owner)


def _fact(
    owner: ContactId, event_id: str, kind: FactKind, name: str, value: object, at: datetime
) -> Fact:
    return Fact(
        contact_id=owner, event_id=event_id, kind=kind, name=name, value=value, occurred_at=at
    )


def _action(
    batch: Batch,
    contact_id: ContactId,
    event_id: str,
    kind: str,
    type: ActivityType,
    subject: str,
    reason: str,
    *,
    due: datetime | None = None,
) -> ActionGenerated:
    """An action for one event: its activity (buffered in ``batch``) and the
    ``crm.action.generated`` event that announces it."""
    activity = Activity(
        id=ActivityId(batch.app.ids.new()),
        type=type,
        subject=subject,
        description=f"{reason} (event {event_id})",
        contact_id=contact_id,
        actor="pipeline",
        due_at=due,
        created_at=batch.now,
    )
    batch.add_activity(activity)
    log_step(_log, "action", event_id, kind=kind, contact_id=contact_id)
    return ActionGenerated(
        contact_id=contact_id,
        event_id=event_id,
        kind=kind,
        activity_id=activity.id,
        reason=reason,
    )


def _new_contact(app: App, interaction: Interaction, *, now: datetime) -> Contact:
    c = interaction.customer
    fallback = (
        c.email.value.partition("@")[0]
        if c.email
        else (c.user_id or (c.phone.e164 if c.phone else "Customer"))
    )
    parsed = PersonName.parse(c.first_name, c.last_name)
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


def _count_on_lead(batch: Batch, interaction: Interaction, *, now: datetime) -> None:
    email = interaction.customer.email
    if email is None:
        return
    lead = batch.lead(email.value)
    if lead is None:
        return
    e = lead.engagement
    opened = interaction.type is InteractionType.EMAIL_OPENED
    last = e.last_engaged_at
    engagement = Engagement(
        page_views=e.page_views,
        downloads=e.downloads,
        email_opens=e.email_opens + (1 if opened else 0),
        email_clicks=e.email_clicks + (0 if opened else 1),
        events_attended=e.events_attended,
        last_engaged_at=max(last, interaction.occurred_at) if last else interaction.occurred_at,
    )
    batch.save_lead(attrs.evolve(lead, engagement=engagement, updated_at=now))


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
