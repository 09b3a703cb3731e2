"""Events survive JSON round trips; old versions are upcast; unknown types are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.codec import events as codec
from crmcore.codec.jsontext import scalar_json
from crmcore.domain.events import DomainEvent, Envelope, registered_events
from crmcore.domain.ids import DealId, LeadId
from crmcore.domain.lead import LeadConverted, LeadScored
from crmcore.domain.pipeline import DealStage, DealStageChanged, DealWon
from tests.strategies import amounts, instants

uuids = st.uuids()


def _payloads() -> st.SearchStrategy[DomainEvent]:
    return st.one_of(
        st.builds(
            LeadScored,
            lead_id=uuids.map(LeadId),
            previous=st.integers(0, 100),
            score=st.integers(0, 100),
        ),
        st.builds(
            LeadConverted,
            lead_id=uuids.map(LeadId),
            contact_id=uuids,
            account_id=st.none() | uuids,
            deal_id=st.none() | uuids,
        ),
        st.builds(
            DealStageChanged,
            deal_id=uuids.map(DealId),
            from_stage=st.sampled_from(DealStage),
            to_stage=st.sampled_from(DealStage),
        ),
        st.builds(DealWon, deal_id=uuids.map(DealId), amount=amounts, currency=st.just("RUB")),
    )


@given(uuids, instants, _payloads())
def test_round_trip(event_id: UUID, at: datetime, payload: DomainEvent) -> None:
    envelope = Envelope(id=event_id, occurred_at=at, payload=payload)
    back = codec.loads(codec.dumps(envelope))
    assert back == envelope
    assert back.type == payload.TYPE


def test_wire_format_names_type_and_version() -> None:
    envelope = Envelope(
        id=UUID(int=5),
        occurred_at=datetime.fromisoformat("2026-01-05T09:00:00+00:00"),
        payload=DealWon(deal_id=DealId(UUID(int=9)), amount=Decimal("10.50"), currency="EUR"),
    )
    wire = codec.envelope_to_dict(envelope)
    assert wire["type"] == "crm.deal.won"
    assert wire["version"] == 1
    assert wire["payload"]["amount"] == "10.50"


def test_catalogue_has_the_foundation_events() -> None:
    names = set(registered_events())
    assert {
        "crm.lead.created",
        "crm.lead.scored",
        "crm.lead.qualified",
        "crm.lead.converted",
        "crm.deal.created",
        "crm.deal.stage_changed",
        "crm.deal.won",
        "crm.deal.lost",
    } <= names


def test_old_versions_are_upcast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LeadScored, "VERSION", 2)
    monkeypatch.setitem(
        codec.UPCASTERS,
        ("crm.lead.scored", 1),
        lambda p: {**p, "previous": p.get("previous", 0)},
    )
    old = {
        "id": str(UUID(int=1)),
        "type": "crm.lead.scored",
        "version": 1,
        "occurred_at": "2026-01-05T09:00:00+00:00",
        "payload": {"lead_id": str(UUID(int=2)), "score": 40},
    }
    assert codec.envelope_from_dict(old).payload == LeadScored(
        lead_id=LeadId(UUID(int=2)), previous=0, score=40
    )


def test_unknown_or_newer_events_are_refused() -> None:
    base = {"id": str(UUID(int=1)), "occurred_at": "2026-01-05T09:00:00+00:00", "payload": {}}
    with pytest.raises(codec.UnknownEvent):
        codec.envelope_from_dict({**base, "type": "crm.nope", "version": 1})
    with pytest.raises(codec.UnknownEvent):
        codec.envelope_from_dict({**base, "type": "crm.deal.won", "version": 99})


def _with_a_plan() -> list[type[DomainEvent]]:
    import crmcore.app.bootstrap  # noqa: F401  (every module with events is imported)

    return sorted(
        (c for c in registered_events().values() if codec._plan(c) is not False),
        key=lambda c: c.TYPE,
    )


def test_most_events_take_the_field_by_field_plan() -> None:
    names = {c.TYPE for c in _with_a_plan()}
    assert {"crm.purchase.recorded", "crm.action.generated", "crm.email.clicked"} <= names
    assert "crm.deal.stage_changed" not in names  # an enum field: cattrs does it


@pytest.mark.parametrize("cls", _with_a_plan(), ids=lambda c: c.TYPE)
@given(data=st.data())
def test_the_plan_unstructures_exactly_as_the_converter(
    cls: type[DomainEvent], data: st.DataObject
) -> None:
    payload = data.draw(st.from_type(cls))
    envelope = Envelope(id=UUID(int=3), occurred_at=datetime(2026, 1, 5), payload=payload)
    assert codec.envelope_to_dict(envelope)["payload"] == codec._CONVERTER.unstructure(payload)


def _every_event() -> list[type[DomainEvent]]:
    import crmcore.app.bootstrap  # noqa: F401  (every module with events is imported)

    return sorted(registered_events().values(), key=lambda c: c.TYPE)


_offsets = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(-timedelta(minutes=90))])
_times = st.builds(
    lambda at, tz: at.replace(tzinfo=UTC).astimezone(tz),
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1)),
    _offsets,
)


@pytest.mark.parametrize("cls", _every_event(), ids=lambda c: c.TYPE)
@given(data=st.data())
def test_envelope_json_is_json_dumps_of_the_dict(
    cls: type[DomainEvent], data: st.DataObject
) -> None:
    payload = data.draw(st.from_type(cls))
    envelope = Envelope(id=data.draw(uuids), occurred_at=data.draw(_times), payload=payload)
    assert codec.envelope_json(envelope) == json.dumps(codec.envelope_to_dict(envelope))


def test_envelope_json_tells_equal_times_in_other_offsets_apart() -> None:
    payload = LeadScored(lead_id=LeadId(UUID(int=2)), previous=1, score=2)
    utc = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for at in (utc, utc.astimezone(timezone(timedelta(hours=3))), utc):
        envelope = Envelope(id=UUID(int=1), occurred_at=at, payload=payload)
        assert codec.envelope_json(envelope) == json.dumps(codec.envelope_to_dict(envelope))


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.decimals()))
def test_a_scalar_is_written_as_json_dumps_writes_it(value: object) -> None:
    try:
        expected = json.dumps(value)
    except TypeError:
        return  # Decimal: not JSON, and the plan converts it first
    assert scalar_json(value) == expected


@pytest.mark.parametrize("cls", _every_event(), ids=lambda c: c.TYPE)
@given(data=st.data())
def test_envelopes_json_writes_each_envelope_as_envelope_json(
    cls: type[DomainEvent], data: st.DataObject
) -> None:
    payloads = data.draw(st.lists(st.from_type(cls), max_size=3))
    ids = data.draw(st.lists(uuids, min_size=len(payloads), max_size=len(payloads)))
    at = data.draw(_times)
    assert codec.envelopes_json(ids, at, payloads) == [
        codec.envelope_json(Envelope(id=i, occurred_at=at, payload=p))
        for i, p in zip(ids, payloads, strict=True)
    ]
