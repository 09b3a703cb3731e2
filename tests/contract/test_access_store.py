"""The access port (API keys, idempotent responses, webhook subscriptions) on memory,
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import attrs
import pytest

from crmcore.domain.access import ApiKey, Scope, StoredResponse, WebhookSubscription
from crmcore.ports.errors import DuplicateKey
from crmcore.ports.event_processing import EventUnitOfWork
from tests.contract.conftest import Backend


def _key(n: int, backend: Backend) -> ApiKey:
    return ApiKey(
        id=UUID(int=n),
        name=f"key {n}",
        scope=Scope.WRITE,
        prefix="crm_abc",
        key_hash=f"{n:064x}",
        created_at=backend.clock.now() + timedelta(seconds=n),
    )


def test_keys_are_found_by_hash_and_revoked(backend: Backend) -> None:
    with backend.uow() as uow:
        uow.api_keys.add(_key(1, backend))
        uow.api_keys.add(_key(2, backend))
        uow.commit()
    with backend.uow() as uow:
        found = uow.api_keys.find_by_hash(f"{2:064x}")
        assert found is not None
        assert found.id == UUID(int=2)
        assert found.version == 1
        assert uow.api_keys.find_by_hash("0" * 63 + "9") is None
        uow.api_keys.save(found.revoke(at=backend.clock.now()))
        uow.commit()
    with backend.uow() as uow:
        keys = uow.api_keys.list()
        assert [k.id for k in keys] == [UUID(int=1), UUID(int=2)]
        assert [k.active for k in keys] == [True, False]
        assert keys[1].revoked_at == backend.clock.now()


def test_a_stored_response_is_kept_once(backend: Backend) -> None:
    entry = StoredResponse(
        id=UUID(int=5),
        fingerprint="f" * 64,
        status=201,
        body='{"a": 1}',
        headers=(("ETag", '"1"'),),
        created_at=backend.clock.now(),
    )
    with backend.uow() as uow:
        uow.idempotency.add(entry)
        uow.commit()
    with backend.uow() as uow:
        assert uow.idempotency.get(entry.id) == attrs.evolve(entry, version=1)
        assert uow.idempotency.get(UUID(int=6)) is None
    with backend.uow() as uow, pytest.raises(DuplicateKey):  # at once (SQL), at commit
        _add_and_commit(uow, attrs.evolve(entry, body="{}"))


def test_a_claim_is_completed_or_removed(backend: Backend) -> None:
    claim = StoredResponse(
        id=UUID(int=7), fingerprint="a" * 64, status=0, body="", created_at=backend.clock.now()
    )
    other = attrs.evolve(claim, id=UUID(int=8))
    with backend.uow() as uow:
        uow.idempotency.add(claim)
        uow.idempotency.add(other)
        uow.commit()
    with backend.uow() as uow:
        held = uow.idempotency.get(claim.id)
        assert held is not None
        assert held.pending
        uow.idempotency.save(attrs.evolve(held, status=201, body='{"ok": true}'))
        uow.idempotency.remove(other.id)
        uow.commit()
    with backend.uow() as uow:
        done = uow.idempotency.get(claim.id)
        assert done is not None
        assert (done.status, done.body, done.pending, done.version) == (
            201,
            '{"ok": true}',
            False,
            2,
        )
        assert uow.idempotency.get(other.id) is None


def test_entries_older_than_a_moment_are_pruned(backend: Backend) -> None:
    now = backend.clock.now()
    entries = [
        StoredResponse(
            id=UUID(int=20 + n),
            fingerprint="c" * 64,
            status=201 if n else 0,
            body="{}",
            created_at=now - timedelta(hours=n),
        )
        for n in range(4)
    ]
    with backend.uow() as uow:
        for entry in entries:
            uow.idempotency.add(entry)
        uow.commit()
    with backend.uow() as uow:
        assert uow.idempotency.prune(before=now - timedelta(minutes=90)) == 2
        uow.commit()
    with backend.uow() as uow:
        kept = [uow.idempotency.get(e.id) is not None for e in entries]
        assert kept == [True, True, False, False]
        assert uow.idempotency.prune(before=now - timedelta(minutes=90)) == 0


def _add_and_commit(uow: EventUnitOfWork, entry: StoredResponse) -> None:
    uow.idempotency.add(entry)
    uow.commit()


def test_webhook_subscriptions_round_trip(backend: Backend) -> None:
    sub = WebhookSubscription(
        id=UUID(int=9),
        url="https://hooks.example.com/crm",
        event_type="crm.deal.*",
        secret="s" * 32,
        created_at=backend.clock.now(),
    )
    with backend.uow() as uow:
        uow.webhooks.add(sub)
        uow.commit()
    with backend.uow() as uow:
        stored = uow.webhooks.get(sub.id)
        assert stored == attrs.evolve(sub, version=1)
        uow.webhooks.save(attrs.evolve(stored, active=False))
        uow.commit()
    with backend.uow() as uow:
        assert [s.active for s in uow.webhooks.list()] == [False]
