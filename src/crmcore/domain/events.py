"""Domain events: immutable payloads with a ``type`` name and a schema ``version``.

The envelope (``id``, ``occurred_at``) is added when an event is recorded, because
ids come from the ``IdSource`` port.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Generic, TypeVar
from uuid import UUID

import attrs

_REGISTRY: dict[str, type[DomainEvent]] = {}


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base of every event payload."""

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1


E = TypeVar("E", bound=DomainEvent, covariant=True)
T = TypeVar("T", bound=type[DomainEvent])


def event_type(name: str, *, version: int = 1) -> Callable[[T], T]:
    """Register an event class under its public ``name`` at schema ``version``."""

    def register(cls: T) -> T:
        if name in _REGISTRY and _REGISTRY[name].__qualname__ != cls.__qualname__:
            raise ValueError(f"event type {name} registered twice")
        cls.TYPE = name
        cls.VERSION = version
        _REGISTRY[name] = cls
        return cls

    return register


def registered_events() -> dict[str, type[DomainEvent]]:
    """Every known event type name and its current payload class."""
    return dict(_REGISTRY)


@attrs.frozen(kw_only=True)
class Envelope(Generic[E]):
    """A recorded event: payload plus identity and time."""

    id: UUID
    occurred_at: datetime
    payload: E

    @property
    def type(self) -> str:
        """The public event name, e.g. ``crm.lead.created``."""
        return self.payload.TYPE

    @property
    def version(self) -> int:
        """The payload schema version."""
        return self.payload.VERSION


X = TypeVar("X")


@attrs.frozen
class Changed(Generic[X]):
    """A new state of an entity and the events the change produced."""

    entity: X
    events: tuple[DomainEvent, ...] = ()
