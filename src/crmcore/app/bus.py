"""The message bus: domain events handed to the handlers registered for their type.

One part of the CRM reacts to another only through here: a use case (or the event
worker, or an import) records domain events in its unit of work; before the unit of work
commits, :meth:`MessageBus.handle` gives every event recorded since the last call to the
handlers registered for its class, *in batches*: each handler is called once per event
class with all the events of that class, in the order they were recorded. Handlers run in
the same transaction, so a reaction lands together with its cause or not at all; the
events a handler records are handled in the next round, until none are left. A handler
wrapped in :class:`OncePerRound` is called once per round with the events of all the
classes it is registered for (a customer touched by a login and an answer is reassessed
once, not twice).

Handlers are registered in one place, :mod:`crmcore.app.handlers`; a new capability adds
handlers there, never a branch in someone else's function. See docs/bus.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

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


@attrs.frozen
class OncePerRound:
    """A handler the bus calls once per round with the events of every class it is
    registered for, in the order they were recorded, at the turn of the last of those
    classes to appear in the round: after every handler listed before it for any of them."""

    handler: Handler

    def __call__(self, app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        self.handler(app, uow, events)


class MessageBus:
    """Routes recorded domain events to their handlers, a batch per event class."""

    def __init__(self, handlers: Mapping[type[DomainEvent], Iterable[Handler]]) -> None:
        self._handlers = {kind: tuple(hs) for kind, hs in handlers.items()}
        self._classes_of: dict[OncePerRound, set[type[DomainEvent]]] = {}
        for kind, hs in self._handlers.items():
            for h in hs:
                if isinstance(h, OncePerRound):
                    self._classes_of.setdefault(h, set()).add(kind)

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
            groups = _by_class(events)
            last_turn = {
                h: kind
                for kind in groups
                for h in self._handlers.get(kind, ())
                if isinstance(h, OncePerRound)
            }
            for kind, batch in groups.items():
                for handler in self._handlers.get(kind, ()):
                    if not isinstance(handler, OncePerRound):
                        handler(app, uow, batch)
                    elif last_turn[handler] is kind:
                        classes = self._classes_of[handler]
                        handler(app, uow, [e for e in events if type(e) in classes])
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
