"""Event registration pinned: the default schema version, re-registration of the same class
(a module reloaded) and the refusal of a second class under a taken name."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from crmcore.domain import events
from crmcore.domain.events import DomainEvent, event_type, registered_events

NAME = "test.events_rules.probe"


@pytest.fixture
def clean_registry() -> Iterator[None]:
    yield
    events._REGISTRY.pop(NAME, None)


def _probe() -> type[DomainEvent]:
    @attrs.frozen(kw_only=True)
    class Probe(DomainEvent):
        n: int = 0

    return Probe


@pytest.mark.usefixtures("clean_registry")
def test_an_event_is_registered_at_version_1_unless_told() -> None:
    cls = event_type(NAME)(_probe())
    assert (cls.TYPE, cls.VERSION) == (NAME, 1)
    assert registered_events()[NAME] is cls
    again = event_type(NAME, version=3)(_probe())  # the same class, reloaded
    assert (again.TYPE, again.VERSION) == (NAME, 3)
    assert registered_events()[NAME] is again


@pytest.mark.usefixtures("clean_registry")
def test_a_second_class_under_a_taken_name_is_refused() -> None:
    event_type(NAME)(_probe())

    @attrs.frozen(kw_only=True)
    class Other(DomainEvent):
        pass

    with pytest.raises(
        ValueError, match=r"^event type test\.events_rules\.probe registered twice$"
    ):
        event_type(NAME)(Other)
    assert registered_events()[NAME].__qualname__.endswith("Probe")


def test_the_registry_handed_out_is_a_copy() -> None:
    copy = registered_events()
    copy["x.y"] = DomainEvent
    assert "x.y" not in registered_events()
