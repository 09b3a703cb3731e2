"""Outbound webhook subscriptions: add (the secret is shown once), list, remove.

Deliveries are made by the outbox relay (``crm outbox relay``), see
``crmcore.adapters.webhooks.fanout``.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.domain.access import WebhookSubscription
from crmcore.ports.uow import UnitOfWork

#: ``crm.*``, ``crm.deal.*`` or one event type such as ``crm.deal.won``.
EVENT_PATTERN = re.compile(r"^crm(\.[a-z_]+)*(\.\*|\.[a-z_]+)$")


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks: https, or http to this machine only."""
    if len(url) > 2000:
        return "is longer than 2000 characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL with a host"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.scheme == "http":
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return "must be https (plain http only to this machine)"
    return None


def add_subscription(
    app: App, *, url: str, event_type: str
) -> Result[WebhookSubscription, AppError]:
    """Subscribe ``url`` to ``event_type``; the returned subscription holds its new secret."""
    check = Collector()
    problem = _url_problem(url)
    if problem is not None:
        check.fail("url", url, problem)
    if not EVENT_PATTERN.match(event_type) or len(event_type) > 100:
        check.fail("event_type", event_type, "must be crm.*, crm.<kind>.* or an event type")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    sub = WebhookSubscription(
        id=app.ids.new(),
        url=url,
        event_type=event_type,
        secret=secrets.token_urlsafe(32),
        created_at=app.clock.now(),
    )

    def work(uow: UnitOfWork) -> Result[WebhookSubscription, AppError]:
        uow.webhooks.add(sub)
        return Success(sub)

    return transact(app, work)


def list_subscriptions(app: App) -> Result[Sequence[WebhookSubscription], AppError]:
    """Every subscription, removed ones too (inactive)."""
    return transact(app, lambda uow: Success(uow.webhooks.list()), commit=False)


def remove_subscription(app: App, subscription_id: UUID) -> Result[WebhookSubscription, AppError]:
    """Stop deliveries to a subscription (kept, inactive, for the record)."""

    def work(uow: UnitOfWork) -> Result[WebhookSubscription, AppError]:
        found = uow.webhooks.get(subscription_id)
        if found is None:
            return Failure(NotFound(kind="webhook subscription", key=str(subscription_id)))
        if not found.active:
            return Success(found)
        removed = attrs.evolve(found, active=False)
        uow.webhooks.save(removed)
        return Success(removed)

    return transact(app, work)
