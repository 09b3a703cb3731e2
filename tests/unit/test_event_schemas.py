"""The event catalogue: checked-in JSON Schemas match the classes and real events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import given

from crmcore.codec.events import envelope_from_dict, envelope_to_dict
from crmcore.codec.schemas import all_schemas, load_catalogue, render
from crmcore.domain.events import DomainEvent, Envelope
from tests.strategies import event_envelopes

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMAS = all_schemas()


def test_checked_in_schemas_equal_the_generated_ones() -> None:
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (DOCS / "events").glob("*.json")}
    generated = {name: render(schema) for name, schema in SCHEMAS.items()}
    assert sorted(on_disk) == sorted(generated), "run: python -m crmcore.codec.schemas docs/events"
    for name, text in generated.items():
        assert on_disk[name] == text, (
            f"{name} is stale: python -m crmcore.codec.schemas docs/events"
        )


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    for schema in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_the_catalogue_page_documents_every_event_type() -> None:
    page = (DOCS / "events.md").read_text(encoding="utf-8")
    for name, cls in load_catalogue().items():
        assert f"### `{name}` (version {cls.VERSION})" in page


def _validator(envelope: Envelope[DomainEvent]) -> Any:
    schema = SCHEMAS[f"{envelope.type}.v{envelope.version}.schema.json"]
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@given(envelope=event_envelopes())
def test_serialised_events_validate_and_read_back(envelope: Envelope[DomainEvent]) -> None:
    data = json.loads(json.dumps(envelope_to_dict(envelope)))
    _validator(envelope).validate(data)
    assert envelope_from_dict(data) == envelope


def test_a_payload_missing_a_field_is_rejected_by_its_schema() -> None:
    name = "crm.deal.won.v1.schema.json"
    validator = jsonschema.Draft202012Validator(SCHEMAS[name])
    bad = {
        "id": "018bcfe5-6800-7000-8000-000000000000",
        "type": "crm.deal.won",
        "version": 1,
        "occurred_at": "2026-01-05T09:00:00+00:00",
        "payload": {"deal_id": "018bcfe5-6800-7000-8000-000000000001", "amount": 10.5},
    }
    errors = sorted(e.message for e in validator.iter_errors(bad))
    assert any("currency" in e for e in errors)
    assert any("10.5 is not of type 'string'" in e for e in errors)
