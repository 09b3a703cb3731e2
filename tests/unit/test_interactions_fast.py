"""The accept fast path answers exactly as the full validator, within the schemas; the
read-back of canonical JSON exactly as the trusted parse."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from hypothesis import example, given, settings
from hypothesis import strategies as st
from returns.result import Success

from crmcore.codec.interaction_schemas import schema_for
from crmcore.codec.interactions_fast import accept_fast, canonical_interaction
from crmcore.domain.inbox import AcceptedEvent
from crmcore.domain.interactions import parse_interaction
from tests.strategies import edge_interactions, iso_times, raw_interactions

BASE: dict[str, Any] = {
    "id": "e1",
    "type": "purchase",
    "occurred_at": "2026-01-05T10:00:00+03:00",
    "customer": {"user_id": "u1"},
    "data": {"amount": "10.00", "currency": "RUB"},
}


def _full(raw: object, region: str) -> AcceptedEvent | None:
    parsed = parse_interaction(raw, region=region)
    if not isinstance(parsed, Success):
        return None
    i = parsed.unwrap()
    return AcceptedEvent(i.event_id, i.type.value, i.to_json(), i.occurred_at)


def _agrees(raw: Any, region: str = "RU") -> AcceptedEvent | None:
    fast = accept_fast(raw, region)
    if fast is not None:
        full = _full(raw, region)
        assert full is not None, raw
        assert fast._replace(text=None) == full, raw
        assert fast.text == json.dumps(full.payload)  # what the store writes
        assert fast.occurred_at.tzinfo is full.occurred_at.tzinfo
        jsonschema.validate(raw, schema_for(raw["type"]))
    return fast


@settings(max_examples=800)
@given(
    raw=edge_interactions()
    | raw_interactions()
    | iso_times().map(lambda stamp: {**BASE, "occurred_at": stamp})
)
@example(raw={**BASE, "data": {"amount": -0.0, "currency": "RUB"}})
@example(raw={**BASE, "data": {"amount": 10, "currency": "RUB"}})
@example(raw={**BASE, "data": {"amount": "1e3", "currency": "RUB"}})
@example(raw={**BASE, "data": {"amount": "10", "currency": " rub "}})
@example(raw={**BASE, "occurred_at": "2026-01-05T10:00:00z"})
@example(raw={**BASE, "occurred_at": "2026-01-05T10:00:00+03:00:30"})
@example(raw={**BASE, "customer": {"user_id": " u1 ", "first_name": "  "}})
@example(raw={**BASE, "customer": {"user_id": "u1", "phone": None}})
@example(raw={**BASE, "customer": {"email": " Ann@Example.RU ", "phone": "8 900 123-45-67"}})
@example(raw={**BASE, "source": "   "})
@example(raw={**BASE, "version": True})
@example(raw={**BASE, "type": "billing", "data": {"kind": "refund"}})
@example(raw={**BASE, "type": "billing", "data": {"kind": "refund", "currency": "RUB"}})
@example(raw={**BASE, "type": "form_answer", "data": {"form_id": "f", "answers": {"nps": True}}})
@example(raw={**BASE, "type": "form_answer", "data": {"form_id": "f", "answers": {"x": 1.5}}})
@example(raw={**BASE, "type": "review", "data": {"text": "ok", "rating": 5.0}})
@example(raw={**BASE, "type": "email_opened", "data": {"campaign_id": " "}})
@example(raw={**BASE, "occurred_at": "2026-01-05T10:00:00.000000+03:00"})
@example(raw={**BASE, "occurred_at": "2026-01-05T10:00:00-00:00"})
@example(raw={**BASE, "occurred_at": "2026-01-05T24:00:00+00:00"})
@example(raw={**BASE, "occurred_at": "0001-01-01T00:30:00+01:00"})
@example(raw={**BASE, "data": {"amount": 10.5, "currency": "RUB"}})
@example(raw=["not", "an", "object"])
def test_the_fast_path_answers_as_the_full_validator(raw: dict[str, Any]) -> None:
    _agrees(raw)
    _agrees(raw, region="US")


#: Changes that leave canonical JSON's shape: each must go to the full parse.
_RESHAPED: list[dict[str, Any]] = [
    {},
    {"version": 2},
    {"extra": 1},
    {"customer": "nobody"},
    {"data": {"amount": "NaN", "currency": "RUB"}},
    {"data": {"amount": "1", "currency": "XXX"}},
    {"occurred_at": "2026-01-05T12:00:00"},
    {"type": "fax"},
    {"source": "shop"},
]


@settings(max_examples=200)
@given(
    raws=st.lists(raw_interactions(), min_size=1, max_size=4),
    change=st.sampled_from(_RESHAPED),
    rng=st.randoms(),
)
def test_canonical_json_is_read_back_as_the_trusted_parse_reads_it(
    raws: list[dict[str, Any]], change: dict[str, Any], rng: Any
) -> None:
    canonical = []
    for raw in raws:
        parsed = parse_interaction(raw, region="RU")
        assert isinstance(parsed, Success)
        canonical.append({**parsed.unwrap().to_json(), **change})
    again = canonical + rng.sample(canonical, len(canonical))  # remembered customers, amounts
    for payload in again:
        direct = canonical_interaction(payload)
        if direct is not None:
            assert Success(direct) == parse_interaction(payload, trusted=True)
    if not change or change == {"source": "shop"}:
        assert all(canonical_interaction(payload) is not None for payload in canonical)
