"""The message bus (``crmcore.app.bus``) on a memory unit of work: batches per event
class, the order of classes and rounds, cycles, and the transaction it runs in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from returns.result import Failure, Result, Success

from crmcore import App
from crmcore.app.bus import (
    MAX_ROUNDS,
    NO_REACTIONS,
    Handler,
    HandlerCycle,
    MessageBus,
    OncePerRound,
)
from crmcore.app.context import transact
from crmcore.app.errors import AppError, NotFound
from crmcore.domain.events import DomainEvent
from crmcore.domain.ids import ContactId, LeadId
from crmcore.domain.interactions import EmailOpened, LoginRecorded, PurchaseRecorded
from crmcore.domain.lead import LeadReopened
from crmcore.ports.uow import UnitOfWork

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ANN = ContactId(UUID(int=1))


def logged_in(n: int) -> LoginRecorded:
    return LoginRecorded(contact_id=ANN, event_id=f"login-{n}", occurred_at=AT)


def opened(n: int) -> EmailOpened:
    return EmailOpened(contact_id=ANN, event_id=f"open-{n}", occurred_at=AT)


def reopened(n: int) -> LeadReopened:
    return LeadReopened(lead_id=LeadId(UUID(int=n)))


@attrs.define
class Calls:
    """What fake handlers were called with, in call order."""

    seen: list[tuple[str, list[DomainEvent]]] = attrs.field(factory=list)

    def handler(self, name: str) -> Handler:
        def handle(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
            self.seen.append((name, list(events)))

        return handle

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.seen]


def run(app: App, bus: MessageBus, *events: DomainEvent) -> int:
    with app.uow() as uow:
        uow.record(*events)
        return bus.handle(app, uow)


def test_each_handler_gets_one_batch_per_class_in_recording_order(app: App) -> None:
    calls = Calls()
    bus = MessageBus(
        {LoginRecorded: [calls.handler("login")], EmailOpened: [calls.handler("opened")]}
    )
    events = [logged_in(1), opened(1), logged_in(2), opened(2), logged_in(3)]
    assert run(app, bus, *events) == 5
    assert calls.seen == [
        ("login", [logged_in(1), logged_in(2), logged_in(3)]),
        ("opened", [opened(1), opened(2)]),
    ]


@pytest.mark.parametrize(
    ("events", "order"),
    [
        ([opened(1), logged_in(1), opened(2)], ["opened", "login"]),
        ([logged_in(1), opened(1), opened(2)], ["login", "opened"]),
        ([reopened(1), opened(1), logged_in(1)], ["opened", "login"]),
    ],
)
def test_classes_are_handled_in_the_order_of_their_first_event(
    app: App, events: list[DomainEvent], order: list[str]
) -> None:
    calls = Calls()
    bus = MessageBus(
        {LoginRecorded: [calls.handler("login")], EmailOpened: [calls.handler("opened")]}
    )
    run(app, bus, *events)
    assert calls.names == order


def test_the_handlers_of_a_class_run_in_their_registered_order(app: App) -> None:
    calls = Calls()
    bus = MessageBus({LoginRecorded: [calls.handler(n) for n in ("b", "a", "c")]})
    run(app, bus, logged_in(1), logged_in(2))
    assert calls.seen == [(n, [logged_in(1), logged_in(2)]) for n in ("b", "a", "c")]
    assert len(bus.handlers_for(LoginRecorded)) == 3


def test_a_handler_is_registered_for_exactly_its_class(app: App) -> None:
    calls = Calls()
    bus = MessageBus({DomainEvent: [calls.handler("any")]})
    assert run(app, bus, logged_in(1)) == 1
    assert calls.seen == []
    assert bus.handlers_for(LoginRecorded) == ()


def test_events_without_handlers_are_counted_and_go_nowhere(app: App) -> None:
    calls = Calls()
    bus = MessageBus({EmailOpened: [calls.handler("opened")]})
    assert run(app, bus, reopened(1), opened(1), reopened(2)) == 3
    assert calls.seen == [("opened", [opened(1)])]
    assert run(app, NO_REACTIONS, opened(1)) == 1


def test_nothing_recorded_is_nothing_handled(app: App) -> None:
    calls = Calls()
    bus = MessageBus({LoginRecorded: [calls.handler("login")]})
    assert run(app, bus) == 0
    assert calls.seen == []


def test_a_second_call_hands_out_only_what_was_recorded_since(app: App) -> None:
    calls = Calls()
    bus = MessageBus({LoginRecorded: [calls.handler("login")]})
    with app.uow() as uow:
        uow.record(logged_in(1))
        assert bus.handle(app, uow) == 1
        assert bus.handle(app, uow) == 0
        uow.record(logged_in(2))
        assert bus.handle(app, uow) == 1
    assert calls.seen == [("login", [logged_in(1)]), ("login", [logged_in(2)])]


def test_events_a_handler_records_are_handled_in_the_next_round(app: App) -> None:
    calls = Calls()
    log = calls.handler("opened")

    def login_opens(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        calls.seen.append(("login", list(events)))
        uow.record(*(opened(n) for n in range(len(events))))

    bus = MessageBus({LoginRecorded: [login_opens], EmailOpened: [log]})
    # the opens the login handler records are not mixed into this round's batch of opens
    assert run(app, bus, logged_in(1), opened(9), logged_in(2)) == 5
    assert calls.seen == [
        ("login", [logged_in(1), logged_in(2)]),
        ("opened", [opened(9)]),
        ("opened", [opened(0), opened(1)]),
    ]


@pytest.mark.parametrize(
    ("events", "order"),
    [
        ([opened(1), logged_in(1), opened(2)], ["opened", "both", "login"]),
        ([logged_in(1), opened(1), logged_in(2)], ["login", "opened", "both"]),
    ],
)
def test_a_once_per_round_handler_gets_every_class_at_once_after_their_other_handlers(
    app: App, events: list[DomainEvent], order: list[str]
) -> None:
    calls = Calls()
    both = OncePerRound(calls.handler("both"))
    bus = MessageBus(
        {
            LoginRecorded: [both, calls.handler("login")],
            EmailOpened: [calls.handler("opened"), both],
            LeadReopened: [calls.handler("reopened")],
        }
    )
    assert run(app, bus, reopened(1), *events) == len(events) + 1
    assert calls.names == ["reopened", *order]
    assert ("both", events) in calls.seen  # in recorded order, without the other classes


def test_a_once_per_round_handler_is_called_again_in_the_next_round(app: App) -> None:
    calls = Calls()
    both = OncePerRound(calls.handler("both"))

    def login_opens(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        uow.record(opened(len(calls.seen)))

    bus = MessageBus({LoginRecorded: [login_opens, both], EmailOpened: [both]})
    run(app, bus, opened(9), logged_in(1))
    assert calls.seen == [("both", [opened(9), logged_in(1)]), ("both", [opened(0)])]


def chain(length: int, calls: Calls) -> Handler:
    """A handler that records one more login until ``length`` logins were handled."""

    def again(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        calls.seen.append(("login", list(events)))
        if len(calls.seen) < length:
            uow.record(logged_in(len(calls.seen)))

    return again


def test_a_chain_of_max_rounds_rounds_completes(app: App) -> None:
    calls = Calls()
    bus = MessageBus({LoginRecorded: [chain(MAX_ROUNDS, calls)]})
    assert run(app, bus, logged_in(0)) == MAX_ROUNDS
    assert len(calls.seen) == MAX_ROUNDS


def test_handlers_feeding_each_other_past_max_rounds_are_a_cycle(app: App) -> None:
    calls = Calls()
    bus = MessageBus({LoginRecorded: [chain(MAX_ROUNDS + 1, calls)]})
    with pytest.raises(HandlerCycle, match=str(MAX_ROUNDS)):
        run(app, bus, logged_in(0))
    assert len(calls.seen) == MAX_ROUNDS


def test_a_ping_pong_between_two_classes_is_a_cycle(app: App) -> None:
    def ping(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        uow.record(opened(0))

    def pong(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        uow.record(logged_in(0))

    bus = MessageBus({LoginRecorded: [ping], EmailOpened: [pong]})
    with pytest.raises(HandlerCycle):
        run(app, bus, logged_in(0))


def test_max_rounds_is_twenty() -> None:
    assert MAX_ROUNDS == 20


# --- the bus in a use case's transaction ------------------------------------------------


def record_purchase(uow: UnitOfWork) -> Result[str, AppError]:
    uow.record(
        PurchaseRecorded(
            contact_id=ANN, event_id="p1", amount=Decimal(1), currency="USD", occurred_at=AT
        )
    )
    return Success("done")


def test_transact_hands_the_events_to_the_handlers_and_commits_what_they_record(
    app: App,
) -> None:
    calls = Calls()

    def react(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        calls.seen.append(("purchase", list(events)))
        uow.record(reopened(1))

    wired = attrs.evolve(app, bus=MessageBus({PurchaseRecorded: [react]}))
    assert transact(wired, record_purchase) == Success("done")
    assert [name for name, _ in calls.seen] == ["purchase"]
    with app.uow() as uow:
        assert [e.type for e in uow.outbox.pending()] == [
            "crm.purchase.recorded",
            "crm.lead.reopened",
        ]


def test_a_failed_use_case_reaches_no_handler(app: App) -> None:
    calls = Calls()

    def fail(uow: UnitOfWork) -> Result[str, AppError]:
        uow.record(opened(1))
        return Failure(NotFound(kind="contact", key="x"))

    wired = attrs.evolve(app, bus=MessageBus({EmailOpened: [calls.handler("opened")]}))
    assert isinstance(transact(wired, fail), Failure)
    assert calls.seen == []
    with app.uow() as uow:
        assert list(uow.outbox.pending()) == []


def test_a_dry_run_reaches_no_handler(app: App) -> None:
    calls = Calls()
    wired = attrs.evolve(app, bus=MessageBus({PurchaseRecorded: [calls.handler("p")]}))
    assert transact(wired, record_purchase, commit=False) == Success("done")
    assert calls.seen == []


def test_a_failing_handler_takes_its_cause_down_with_it(app: App) -> None:
    def broken(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        raise RuntimeError("handler down")

    wired = attrs.evolve(app, bus=MessageBus({PurchaseRecorded: [broken]}))
    with pytest.raises(RuntimeError, match="handler down"):
        transact(wired, record_purchase)
    with app.uow() as uow:
        assert list(uow.outbox.pending()) == []
