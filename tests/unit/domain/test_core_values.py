"""Names, errors and the event registry pinned: the name bounds on their line, each error's
text, registering event types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import attrs
import pytest
from returns.result import Failure, Success

from crmcore.domain import events
from crmcore.domain.errors import FieldError, IllegalTransition, InvalidInput, RuleViolation
from crmcore.domain.events import DomainEvent, Envelope, event_type, registered_events
from crmcore.domain.lead import LeadReopened
from crmcore.domain.names import MAX_NAME, PersonName, clean_name


def test_names_are_trimmed_and_collapsed() -> None:
    assert PersonName.parse("  Anna \t Maria ", " de  la Cruz ") == Success(
        PersonName("Anna Maria", "de la Cruz")
    )
    assert PersonName.parse("Cher") == Success(PersonName("Cher", ""))
    assert str(PersonName("", "Lee")) == "Lee"
    assert PersonName("Ann", "Lee").full == "Ann Lee"


@pytest.mark.parametrize(
    ("length", "ok"), [(MAX_NAME - 1, True), (MAX_NAME, True), (MAX_NAME + 1, False)]
)
def test_a_name_part_is_at_most_100_characters(length: int, ok: bool) -> None:
    assert MAX_NAME == 100
    long = "a" * length
    for first, last, field in ((long, "", "first_name"), ("Ann", long, "last_name")):
        result = clean_name(first, last)
        if ok:
            assert result == (first, last)
        else:
            assert result == FieldError(field=field, value="a" * 20 + "…", reason="longer than 100")


def test_names_refuse_control_characters_and_emptiness() -> None:
    assert PersonName.parse("An\x00n") == Failure(
        FieldError(field="first_name", value="An\x00n", reason="control characters")
    )
    assert clean_name("Ann", "L\x01ee") == FieldError(
        field="last_name", value="L\x01ee", reason="control characters"
    )
    assert clean_name(" ", "\t") == FieldError(
        field="first_name", value="", reason="a name is required"
    )
    assert clean_name("", "Lee") == ("", "Lee")
    assert clean_name("Ann\x7f") == ("Ann\x7f", "")  # DEL is not a C0 control character


def test_each_error_reads_as_a_sentence() -> None:
    a = FieldError(field="email", value="x", reason="not an address")
    b = FieldError(field="phone", value="1", reason="too short")
    assert str(a) == "email: not an address (got 'x')"
    assert str(InvalidInput(errors=(a, b))) == (
        "email: not an address (got 'x'); phone: too short (got '1')"
    )
    assert str(RuleViolation(rule="lost reason", detail="required")) == "lost reason: required"
    assert str(IllegalTransition(machine="m", state="s", move="go", allowed=("a", "b"))) == (
        "m: cannot go from s; allowed: a, b"
    )


def test_an_event_type_registers_its_name_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # a private copy of the registry, so the sample types below stay out of other tests
    monkeypatch.setattr(events, "_REGISTRY", dict(registered_events()))
    assert LeadReopened.TYPE == "crm.lead.reopened"
    assert LeadReopened.VERSION == 1
    assert registered_events()["crm.lead.reopened"] is LeadReopened

    @event_type("test.issue22.sample", version=3)
    @attrs.frozen(kw_only=True)
    class Sample(DomainEvent):
        n: int

    assert (Sample.TYPE, Sample.VERSION) == ("test.issue22.sample", 3)

    @event_type("test.issue22.plain")
    @attrs.frozen(kw_only=True)
    class Plain(DomainEvent):
        n: int

    assert (Plain.TYPE, Plain.VERSION) == ("test.issue22.plain", 1)
    assert registered_events()["test.issue22.sample"] is Sample
    envelope = Envelope(
        id=UUID(int=1), occurred_at=datetime(2026, 1, 1, tzinfo=UTC), payload=Sample(n=1)
    )
    assert (envelope.type, envelope.version) == ("test.issue22.sample", 3)
    # the same class again (a module reloaded) is fine; another class under the name is not
    assert event_type("test.issue22.sample", version=3)(Sample) is Sample
    with pytest.raises(ValueError, match=r"^event type test\.issue22\.sample registered twice$"):

        @event_type("test.issue22.sample")
        @attrs.frozen(kw_only=True)
        class Other(DomainEvent):
            n: int

    registry = registered_events()
    registry.clear()  # a copy: the registry itself is untouched
    assert "crm.lead.reopened" in registered_events()
    monkeypatch.undo()
    assert "test.issue22.sample" not in registered_events()
