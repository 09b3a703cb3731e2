"""The published JSON Schemas stay in sync and agree with the validator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from returns.result import Success

from crmcore.codec.interaction_schemas import schema_file_name, schema_for, schema_text
from crmcore.domain.interactions import InteractionType, parse_interaction
from tests.strategies import raw_interactions

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events-in"


@pytest.mark.parametrize("kind", list(InteractionType))
def test_published_schema_is_current(kind: InteractionType) -> None:
    published = DOCS / schema_file_name(kind)
    assert published.read_text(encoding="utf-8") == schema_text(kind), (
        f"regenerate {published} from crmcore.codec.interaction_schemas"
    )
    jsonschema.Draft202012Validator.check_schema(schema_for(kind))


@given(raw_interactions())
def test_valid_events_satisfy_their_schema(raw: dict[str, Any]) -> None:
    assert isinstance(parse_interaction(raw), Success)
    jsonschema.validate(raw, schema_for(raw["type"]))


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "purchase", "data": {"amount": True, "currency": "RUB"}},
        {"type": "purchase", "data": {"currency": "RUB"}},
        {"type": "message", "data": {"text": "hi"}},
        {"type": "billing", "data": {"kind": "gift"}},
        {"type": "form_answer", "data": {"form_id": "f", "answers": {"nps": 11}}},
        {"type": "review", "data": {"text": "ok", "rating": 9}},
        {"type": "app_login", "data": {"device": "ios", "extra": 1}},
    ],
)
def test_schema_and_validator_refuse_the_same_inputs(broken: dict[str, Any]) -> None:
    raw = {
        "id": "e",
        "occurred_at": "2026-01-05T10:00:00Z",
        "customer": {"user_id": "u"},
        **broken,
    }
    assert not isinstance(parse_interaction(raw), Success)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, schema_for(raw["type"]))
