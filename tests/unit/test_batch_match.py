"""A batch's matching answers as the general decision: its user id shortcut (the user id
wins outright, the other keys only looked up to fill the contact's missing ones) gives
what :func:`decide_match` and the enrichment rules give over the batch's contacts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import App, Settings, bootstrap
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.events.apply import Batch, apply_in_batch
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.interactions import AppLogin, Customer, Interaction, InteractionType
from crmcore.domain.matching import Ambiguous, CreateContact, Matched, decide_match
from crmcore.domain.phone import Phone
from tests.conftest import T0

_customers = st.builds(
    Customer,
    user_id=st.sampled_from([None, "u1", "u2", "u3"]),
    email=st.sampled_from([None, "a@x.ru", "b@x.ru", "c@x.ru"]).map(
        lambda e: Email(e) if e else None
    ),
    phone=st.sampled_from([None, "+79000000001", "+79000000002"]).map(
        lambda p: Phone(p) if p else None
    ),
).filter(lambda c: c.user_id or c.email or c.phone)


def _login(n: int, customer: Customer) -> Interaction:
    return Interaction(
        event_id=f"e{n}",
        type=InteractionType.APP_LOGIN,
        occurred_at=T0 + timedelta(minutes=n),
        utc_offset=timedelta(0),
        customer=customer,
        details=AppLogin(),
    )


def _general_match(contacts: list[Contact], customer: Customer) -> tuple[Any, bool, dict[str, Any]]:
    """The matching as written before the shortcut, over the batch's current contacts."""
    by_user = next(
        (c.id for c in contacts if customer.user_id and c.user_id == customer.user_id), None
    )
    by_email = next((c.id for c in contacts if customer.email and c.email == customer.email), None)
    by_phone = sorted(c.id for c in contacts if customer.phone and c.phone == customer.phone)
    decision = decide_match(by_user_id=by_user, by_email=by_email, by_phone=by_phone)
    if isinstance(decision, Matched):
        contact = next(c for c in contacts if c.id == decision.contact_id)
        user_id = contact.user_id or (customer.user_id if by_user is None else None)
        email = contact.email or (customer.email if by_email is None else None)
        phone = contact.phone or customer.phone
        if user_id == contact.user_id and email == contact.email and phone == contact.phone:
            return contact, False, {}
        return contact, False, {"user_id": user_id, "email": email, "phone": phone}
    if isinstance(decision, Ambiguous):
        return decision, False, {}
    assert isinstance(decision, CreateContact)
    return None, True, {}


def _app() -> App:
    return bootstrap(
        Settings(db_url="memory://"),
        clock=FixedClock(T0),
        ids=SequentialIds(),
        publisher=MemoryPublisher(),
    )


@settings(max_examples=200, deadline=None)
@given(stored=st.lists(_customers, max_size=6), batch=st.lists(_customers, max_size=10))
def test_the_batch_matches_as_the_general_decision(
    stored: list[Customer], batch: list[Customer]
) -> None:
    app = _app()
    assert app.events is not None
    services = app.events
    before = [_login(n, c) for n, c in enumerate(stored)]
    with services.uow() as uow:  # contacts the batch loads from the store
        first = Batch(app, services, uow, before, now=T0)
        for interaction in before:
            apply_in_batch(first, interaction)
        first.flush()
        uow.commit()
    events = [_login(len(stored) + n, c) for n, c in enumerate(batch)]
    with services.uow() as uow:
        applying = Batch(app, services, uow, events, now=T0)
        for interaction in events:
            contacts = list(applying._contacts.values())
            expected = _general_match(contacts, interaction.customer)
            made = applying.match(interaction, forced=None)
            if expected[1]:  # a new contact
                assert made[1] is True
                assert isinstance(made[0], Contact)
                assert made[0].id not in {c.id for c in contacts}
            else:
                assert made == expected
                if isinstance(made[0], Contact):
                    assert made[0] is expected[0]
            apply_in_batch(applying, interaction)
