"""The message bus: domain events handed to the handlers registered for their type.

One part of the CRM reacts to another only through here: a use case (or the event
worker, or an import) records domain events in its unit of work; before the unit of work
commits, :meth:`MessageBus.handle` gives every event recorded since the last call to the
handlers registered for its class, *in batches*: each handler is called once per event
class with all the events of that class, in the order they were recorded. Handlers run in
the same transaction, so a reaction lands together with its cause or not at all; the
events a handler records are handled in the next round, until none are left.

Handlers are registered in one place, :mod:`crmcore.app.handlers`; a new capability adds
handlers there, never a branch in someone else's function. See docs/bus.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from crmcore.domain.events import DomainEvent
from crmcore.ports.uow import UnitOfWork

if TYPE_CHECKING:
    from crmcore.app.context import App

#: A handler: the application, the open unit of work, and a batch of events of one class.
Handler: TypeAlias = Callable[["App", UnitOfWork, Sequence[Any]], None]

#: Rounds of handling before the bus gives up on a cycle of handlers feeding each other.
MAX_ROUNDS = 20


class HandlerCycle(RuntimeError):
    """Handlers kept recording events for more than :data:`MAX_ROUNDS` rounds."""


class MessageBus:
    """Routes recorded domain events to their handlers, a batch per event class."""

    def __init__(self, handlers: Mapping[type[DomainEvent], Iterable[Handler]]) -> None:
        self._handlers = {kind: tuple(hs) for kind, hs in handlers.items()}

    def handlers_for(self, kind: type[DomainEvent]) -> tuple[Handler, ...]:
        """The handlers registered for exactly this event class, in order."""
        return self._handlers.get(kind, ())

    def handle(self, app: App, uow: UnitOfWork) -> int:
        """Handle every event ``uow`` recorded since the last call; how many were handled.

        Events of one class go to each of its handlers as one batch; classes are handled
        in the order their first event was recorded.
        """
        handled = 0
        for _ in range(MAX_ROUNDS):
            events = uow.collect_new_events()
            if not events:
                return handled
            handled += len(events)
            for kind, batch in _by_class(events).items():
                for handler in self._handlers.get(kind, ()):
                    handler(app, uow, batch)
        if uow.collect_new_events():
            raise HandlerCycle(f"handlers still recording events after {MAX_ROUNDS} rounds")
        return handled


def _by_class(events: Sequence[DomainEvent]) -> dict[type[DomainEvent], list[DomainEvent]]:
    """Events grouped by class, classes in order of first appearance."""
    groups: dict[type[DomainEvent], list[DomainEvent]] = {}
    for event in events:
        groups.setdefault(type(event), []).append(event)
    return groups


#: A bus with no handlers (for an application built without reactions).
NO_REACTIONS = MessageBus({})
