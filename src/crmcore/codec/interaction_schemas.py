"""JSON Schemas of the incoming interaction events, one per type, versioned.

They state the same rules :func:`crmcore.domain.interactions.parse_interaction` checks
(which additionally validates e-mail syntax and phone numbers for the default region).
Published as ``docs/events-in/<type>.v<version>.json``; a test keeps them in sync.
"""

from __future__ import annotations

import json
from typing import Any

from crmcore.domain.interactions import (
    MAX_ANSWERS,
    MAX_COUNT,
    MAX_ID,
    MAX_SHORT,
    MAX_TEXT,
    SCHEMA_VERSION,
    BillingKind,
    InteractionType,
)

BASE_URI = "https://crmcore.dev/schemas/events-in"

_ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID, "pattern": r"\S"}
_SHORT = {"type": "string", "maxLength": MAX_SHORT}
_AMOUNT = {
    "description": "decimal string (preferred) or JSON number, not negative",
    "anyOf": [
        {"type": "string", "pattern": r"^\s*\+?\d+(\.\d+)?\s*$", "maxLength": 40},
        {"type": "number", "minimum": 0},
    ],
}
_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
_CURRENCY = {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217 code"}

_DATA: dict[InteractionType, dict[str, Any]] = {
    InteractionType.PURCHASE: {
        "properties": {"amount": _AMOUNT, "currency": _CURRENCY, "order_id": _ID},
        "required": ["amount", "currency"],
    },
    InteractionType.EMAIL_OPENED: {
        "properties": {"campaign_id": _ID, "message_id": _ID},
    },
    InteractionType.EMAIL_CLICKED: {
        "properties": {
            "campaign_id": _ID,
            "message_id": _ID,
            "url": {"type": "string", "minLength": 1, "maxLength": 2048},
        },
        "required": ["url"],
    },
    InteractionType.APP_LOGIN: {"properties": {"device": _SHORT}},
    InteractionType.REVIEW: {
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "channel": {"type": "string", "maxLength": 50},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        },
        "required": ["text"],
    },
    InteractionType.MESSAGE: {
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "channel": {
                "type": "string",
                "minLength": 1,
                "maxLength": 50,
                "description": "telegram, whatsapp, vk, ...",
            },
        },
        "required": ["text", "channel"],
    },
    InteractionType.FORM_ANSWER: {
        "properties": {
            "form_id": _ID,
            "answers": {
                "type": "object",
                "maxProperties": MAX_ANSWERS,
                "properties": {"nps": {"type": "integer", "minimum": 0, "maximum": 10}},
                "additionalProperties": {
                    "type": ["string", "number", "boolean", "null"],
                    "maxLength": MAX_TEXT,
                },
            },
        },
        "required": ["form_id", "answers"],
    },
    InteractionType.BILLING: {
        "properties": {
            "kind": {"enum": [k.value for k in BillingKind]},
            "amount": _AMOUNT,
            "currency": _CURRENCY,
            "reference": _ID,
        },
        "required": ["kind"],
        "dependentRequired": {"amount": ["currency"]},
    },
    InteractionType.USAGE_LIMIT: {
        "properties": {
            "feature": {**_ID, "description": "what the plan limits, e.g. storage, seats"},
            "value": {**_COUNT, "description": "how much of it is used"},
            "limit": {**_COUNT, "description": "how much of it the plan allows"},
        },
        "required": ["feature", "value", "limit"],
    },
}


def schema_for(kind: InteractionType | str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one event type at the current version."""
    kind = InteractionType(kind)
    data = {"type": "object", "additionalProperties": False, **_DATA[kind]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URI}/{kind.value}.v{SCHEMA_VERSION}.json",
        "title": f"crmcore incoming event: {kind.value} (version {SCHEMA_VERSION})",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "type", "occurred_at", "customer"]
        + (["data"] if _DATA[kind].get("required") else []),
        "properties": {
            "id": {**_ID, "description": "the producer's event id; the idempotency key"},
            "type": {"const": kind.value},
            "version": {"type": "integer", "minimum": 1, "maximum": SCHEMA_VERSION},
            "occurred_at": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 with a UTC offset; stored in UTC, offset kept",
            },
            "source": _SHORT,
            "customer": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "anyOf": [
                    {"required": ["user_id"]},
                    {"required": ["email"]},
                    {"required": ["phone"]},
                ],
                "properties": {
                    "user_id": _ID,
                    "email": {"type": "string", "format": "email", "maxLength": 320},
                    "phone": {
                        "type": "string",
                        "maxLength": 40,
                        "description": "any written form; normalised to E.164 (+79001234567)",
                    },
                    "first_name": {"type": "string", "maxLength": 100},
                    "last_name": {"type": "string", "maxLength": 100},
                },
            },
            "data": data,
        },
    }


def schema_file_name(kind: InteractionType) -> str:
    """The published file name, e.g. ``purchase.v1.json``."""
    return f"{kind.value}.v{SCHEMA_VERSION}.json"


def schema_text(kind: InteractionType | str) -> str:
    """The schema as the published, stable JSON text."""
    return json.dumps(schema_for(kind), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
