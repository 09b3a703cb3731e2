"""Events survive JSON round trips; old versions are upcast; unknown types are refused."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.codec import events as codec
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
