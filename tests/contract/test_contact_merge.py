"""Merging contacts on every backend: every reference moves, an undo restores every read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import attrs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from returns.result import Failure

from crmcore.adapters.sql.tables import metadata
from crmcore.app.context import App
from crmcore.app.dedup.merge import merge_contacts, unmerge_contacts
from crmcore.app.sales.activities import log_activity
from crmcore.app.sales.contacts import create_contact, resolve_contact
from crmcore.app.sales.deals import create_deal
from crmcore.domain.campaign import CampaignChannel, new_campaign
from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty import Card, CardId
from crmcore.domain.loyalty_metrics import CustomerFacts, combine_facts
from crmcore.domain.money import Money
from crmcore.domain.review import ReviewItem, ReviewReason
from crmcore.domain.transaction import Transaction, TransactionId
from crmcore.ports.marketing import PlannedDelivery
from crmcore.ports.merge import REFERENCE_KINDS
from tests.conftest import T0
from tests.contract.conftest import Backend

#: The day RFM and CLV inputs are read at: after every transaction of the tests.
DAY = T0.date() + timedelta(days=1)


def _schema_references() -> set[str]:
    """Every column of the schema that names a contact: foreign keys to ``contacts.id``
    and columns called ``contact_id``."""
    found = set()
    for table in metadata.sorted_tables:
        for column in table.columns:
            to_contacts = any(fk.column.table.name == "contacts" for fk in column.foreign_keys)
            if to_contacts or column.name == "contact_id":
                found.add(f"{table.name}.{column.name}")
    return found


def test_the_port_covers_every_column_that_names_a_contact(backend: Backend) -> None:
    with backend.uow() as uow:
        covered = uow.references.kinds()
    assert covered == REFERENCE_KINDS
    missing = _schema_references() - covered
    assert not missing, f"merge would forget {sorted(missing)}: add them to ContactReferences"


def _reads(app: App, backend: Backend, ids: tuple[ContactId, ...]) -> dict[str, Any]:
    """What an operator can read about these contacts (versions aside)."""
    out: dict[str, Any] = {}
    with backend.uow() as uow:
        for cid in ids:
            contact = uow.contacts.get(cid)
            assert contact is not None
            out[f"contact {cid}"] = attrs.evolve(contact, version=0)
            out[f"deals {cid}"] = sorted(str(d.id) for d in uow.deals.list() if d.contact_id == cid)
            out[f"activities {cid}"] = sorted(
                str(a.id) for a in uow.activities.list(contact_id=cid)
            )
            out[f"transactions {cid}"] = sorted(str(t.id) for t in uow.transactions.list_for(cid))
            out[f"references {cid}"] = uow.references.find(cid)
            out[f"loyalty facts {cid}"] = uow.loyalty_facts.get(cid)
            card = uow.cards.get(CardId(cid))
            out[f"card {cid}"] = None if card is None else attrs.evolve(card, version=0)
            out[f"clv inputs {cid}"] = uow.clv.purchase_histories(as_of=DAY, customers=[str(cid)])
        out["rfm"] = sorted(
            (str(r.customer), r.frequency, r.monetary, r.segment.value)
            for r in uow.transactions.rfm(as_of=DAY)
        )
        out["review"] = sorted(
            (str(i.id), tuple(map(str, i.candidates)))
            for i in uow.review_queue.list(status=None, limit=1000)
        )
    return out


def _person(app: App, n: int, *, email: bool, phone: bool, user: bool, tag: str = "") -> ContactId:
    return (
        create_contact(
            app,
            first_name="Anna",
            last_name=f"Karenina{n}",
            email=f"anna{n}{tag}@mail.ru" if email else None,
            phone=f"+7 900 123 45 6{n}" if phone else None,
            user_id=f"user-{n}{tag}" if user else None,
            attributes={"city": "Moscow"} if n == 1 else {"city": "Kazan", "tier": "gold"},
        )
        .unwrap()
        .id
    )


def _history(
    app: App,
    backend: Backend,
    cid: ContactId,
    n: int,
    count: int,
    *,
    facts: bool = False,
    card: bool = False,
) -> None:
    for k in range(count):
        create_deal(app, title=f"deal {n}.{k}", amount="100", contact_id=cid).unwrap()
        log_activity(app, type="note", subject=f"note {n}.{k}", contact_id=cid).unwrap()
    with backend.uow() as uow:
        for k in range(count):
            uow.transactions.add(
                Transaction(
                    id=TransactionId(backend.ids.new()),
                    customer=cid,
                    occurred_at=backend.clock.now(),
                    amount=Money.of("10.00"),
                    external_id=f"t-{cid}-{k}",
                )
            )
        if facts:
            uow.loyalty_facts.put(
                cid,
                CustomerFacts(
                    purchases=count, revenue=Decimal(10 * count), reviews=n,
                    partner_program=n == 2, last_nps=7 + n if n == 2 else None,
                    first_interaction=date(2026, 1, n), last_purchase=date(2026, 2, n),
                    tags=frozenset({f"t{n}", "shared"}),
                ),
            )  # fmt: skip
        if card:
            at = backend.clock.now()
            uow.cards.add(
                Card(
                    id=CardId(cid), name=f"Anna {n}", first_interaction=date(2026, 1, n),
                    level="buyer" if n == 1 else "regular", entered_at=at,
                    holder="ops" if n == 2 else None, taken_at=at if n == 2 else None,
                    created_at=at, updated_at=at,
                )
            )  # fmt: skip
        uow.review_queue.add(
            ReviewItem(
                id=backend.ids.new(),
                event_id=f"e-{cid}",
                reason=ReviewReason.AMBIGUOUS_MATCH,
                detail="which one?",
                proposed_action="match",
                candidates=(cid,),
                created_at=backend.clock.now(),
            )
        )
        uow.commit()


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(flags=[True] * 10, counts=(1, 2))  # both have facts (combined) and cards
@example(flags=[True] * 8 + [False, True], counts=(1, 0))  # only the other has a card
@given(
    flags=st.lists(st.booleans(), min_size=10, max_size=10),
    counts=st.tuples(st.integers(0, 2), st.integers(0, 2)),
)
def test_merge_then_unmerge_is_the_identity_on_every_read(
    backend: Backend, backend_app: App, flags: list[bool], counts: tuple[int, int]
) -> None:
    tag = backend.ids.new().hex  # the store outlives one example
    keep = _person(backend_app, 1, email=flags[0], phone=flags[1], user=flags[2], tag=tag)
    other = _person(backend_app, 2, email=flags[3], phone=flags[4], user=flags[5], tag=tag)
    _history(backend_app, backend, keep, 1, counts[0], facts=flags[6], card=flags[8])
    _history(backend_app, backend, other, 2, counts[1], facts=flags[7], card=flags[9])
    before = _reads(backend_app, backend, (keep, other))

    record = merge_contacts(backend_app, keep, other, reason="same person", by="ops").unwrap()
    after = _reads(backend_app, backend, (keep, other))
    kept_facts, other_facts = before[f"loyalty facts {keep}"], before[f"loyalty facts {other}"]
    if kept_facts is not None and other_facts is not None:
        # both had facts: the kept contact has their union, the other keeps its own
        assert after[f"loyalty facts {keep}"] == combine_facts(kept_facts, other_facts)
        assert after[f"loyalty facts {other}"] == other_facts
    else:
        assert after[f"loyalty facts {keep}"] == (kept_facts or other_facts)
    # the board: the kept contact keeps its card; when it had none, the other's card moves
    kept_card, other_card = before[f"card {keep}"], before[f"card {other}"]
    if kept_card is not None:
        assert after[f"card {keep}"] == kept_card
        assert after[f"card {other}"] == other_card
    elif other_card is not None:
        assert after[f"card {keep}"] == attrs.evolve(other_card, id=CardId(keep))
        assert after[f"card {other}"] is None
    stays = {
        kind: (str(other),)
        for kind, had in (
            ("loyalty_facts.id", kept_facts is not None and other_facts is not None),
            ("loyalty_cards.id", kept_card is not None and other_card is not None),
        )
        if had
    }
    assert after[f"references {other}"] == stays
    # the RFM summary and the CLV inputs are those of the combined transactions
    histories = after[f"clv inputs {keep}"]
    if counts[0] + counts[1]:
        assert [h.customer_id for h in histories] == [str(keep)]
        assert (str(keep), counts[0] + counts[1]) in {(c, f) for c, f, _, _ in after["rfm"]}
    assert after[f"clv inputs {other}"] == []
    assert str(other) not in {c for c, _, _, _ in after["rfm"]}
    assert len(after[f"deals {keep}"]) == counts[0] + counts[1]
    assert len(after[f"transactions {keep}"]) == counts[0] + counts[1]
    assert resolve_contact(backend_app, str(other)).unwrap().id == keep
    # merging the same pair again changes nothing
    assert merge_contacts(backend_app, keep, other).unwrap().id == record.id
    assert _reads(backend_app, backend, (keep, other)) == after

    unmerge_contacts(backend_app, record.id, by="ops").unwrap()
    assert _reads(backend_app, backend, (keep, other)) == before
    assert isinstance(unmerge_contacts(backend_app, record.id), Failure)


def test_a_merge_fills_the_kept_contacts_empty_fields(backend_app: App) -> None:
    keep = _person(backend_app, 1, email=True, phone=False, user=False)
    other = _person(backend_app, 2, email=True, phone=True, user=True)
    merge_contacts(backend_app, keep, other).unwrap()
    kept = resolve_contact(backend_app, str(keep)).unwrap()
    assert str(kept.email) == "anna1@mail.ru"
    assert kept.phone is not None
    assert kept.user_id == "user-2"
    assert kept.attributes == {"city": "Moscow", "tier": "gold"}


def test_unknown_contacts_and_merges_are_refused(backend_app: App) -> None:
    keep = _person(backend_app, 1, email=True, phone=False, user=False)
    assert isinstance(merge_contacts(backend_app, keep, keep), Failure)
    assert isinstance(merge_contacts(backend_app, keep, ContactId(uuid4())), Failure)
    assert isinstance(unmerge_contacts(backend_app, uuid4()), Failure)


def _marketing(backend: Backend, keep: ContactId, other: ContactId) -> tuple[UUID, UUID]:
    """Two campaigns: one delivering to both contacts, one to the other contact only;
    they are sequences too: both contacts are in the first, the other in the second."""
    made = [
        new_campaign(
            id=backend.ids.new(), name=f"C{n}", channels=[CampaignChannel.EMAIL],
            segment="champions", variants={"A": "t1"}, at=backend.clock.now(),
        ).unwrap()
        for n in range(2)
    ]  # fmt: skip
    shared, own = made
    with backend.uow() as uow:
        for c in made:
            uow.campaigns.add(c)
        for campaign, people in ((shared, (keep, other)), (own, (other,))):
            planned = [
                PlannedDelivery(contact_id=c, address=f"{c}@example.com", variant="A",
                                channel=CampaignChannel.EMAIL)
                for c in people
            ]  # fmt: skip
            uow.deliveries.plan(campaign.id, 0, planned, at=backend.clock.now())
        uow.enrollments.enroll(shared.id, [keep, other], at=backend.clock.now())
        uow.enrollments.enroll(own.id, [other], at=backend.clock.now())
        uow.commit()
    return shared.id, own.id


def _marketing_reads(backend: Backend, ids: tuple[ContactId, ...], seqs: tuple[UUID, ...]) -> Any:
    with backend.uow() as uow:
        deliveries = {c: sorted(str(d.campaign_id) for d in uow.deliveries.for_contacts([c]))
                      for c in ids}  # fmt: skip
        enrolled = {s: sorted(str(e.contact_id) for e in uow.enrollments.active(s)) for s in seqs}
    return deliveries, enrolled


def test_a_merge_moves_deliveries_and_enrolments_and_unmerge_restores_them(
    backend: Backend, backend_app: App
) -> None:
    keep = _person(backend_app, 1, email=True, phone=False, user=False)
    other = _person(backend_app, 2, email=True, phone=False, user=False)
    shared, own = _marketing(backend, keep, other)
    before = _marketing_reads(backend, (keep, other), (shared, own))

    record = merge_contacts(backend_app, keep, other).unwrap()
    deliveries, enrolled = _marketing_reads(backend, (keep, other), (shared, own))
    # what only the other contact had moves; what both had stays with the other one
    assert deliveries[keep] == sorted([str(shared), str(own)])
    assert deliveries[other] == [str(shared)]
    assert enrolled[own] == [str(keep)]
    assert enrolled[shared] == sorted([str(keep), str(other)])
    with backend.uow() as uow:
        left = uow.references.find(other)
        assert sorted(left) == ["campaign_deliveries.contact_id", "sequence_enrollments.contact_id"]
        # planning or enrolling the kept contact again adds nothing
        assert uow.enrollments.enroll(own, [keep], at=backend.clock.now()) == 0
        planned = PlannedDelivery(contact_id=keep, address="k@example.com", variant="A",
                                  channel=CampaignChannel.EMAIL)  # fmt: skip
        assert uow.deliveries.plan(own, 0, [planned], at=backend.clock.now()) == 0

    unmerge_contacts(backend_app, record.id).unwrap()
    assert _marketing_reads(backend, (keep, other), (shared, own)) == before
