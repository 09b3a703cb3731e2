"""Transactions: what a customer bought, when, for how much."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NewType
from uuid import UUID

import attrs

from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money

TransactionId = NewType("TransactionId", UUID)


def content_key(customer_ref: str, occurred_at: datetime, money: Money) -> str:
    """The idempotency key of a transaction that came without an id: a hash of its content."""
    raw = f"{customer_ref}|{occurred_at.isoformat()}|{money.amount.normalize()}|{money.currency}"
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


@attrs.frozen(kw_only=True)
class Transaction:
    """One purchase (or refund, when the amount is negative) of a customer.

    ``external_id`` is the source's transaction id, or :func:`content_key` when the source
    gave none; it is unique, which makes imports idempotent.
    """

    id: TransactionId
    customer: ContactId
    occurred_at: datetime
    amount: Money
    external_id: str
    channel: str | None = None
    product: str | None = None
    version: int = 0
