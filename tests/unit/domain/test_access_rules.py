"""API key scopes form a chain (read < write < admin); revoking is once; subscriptions
match their event type or prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.access import ApiKey, Scope, WebhookSubscription

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
ORDER = {"read": 0, "write": 1, "admin": 2}  # written out, not read from the enum


@given(st.sampled_from(list(Scope)), st.sampled_from(list(Scope)))
def test_a_scope_allows_exactly_the_ones_below_it(have: Scope, need: Scope) -> None:
    assert have.allows(need) == (ORDER[have.value] >= ORDER[need.value])


@given(st.integers(min_value=0, max_value=10_000))
def test_revoking_keeps_the_first_time(later: int) -> None:
    key = ApiKey(
        id=UUID(int=1), name="k", scope=Scope.READ, prefix="crm_", key_hash="0" * 64, created_at=T0
    )
    once = key.revoke(at=T0)
    assert not once.active
    assert once.revoke(at=T0 + timedelta(seconds=later)).revoked_at == T0


@given(st.sampled_from(["crm.deal.won", "crm.deal.lost", "crm.lead.created", "other.x"]))
def test_a_subscription_matches_its_type_or_prefix(event_type: str) -> None:
    def sub(kind: str, *, active: bool = True) -> WebhookSubscription:
        return WebhookSubscription(
            id=UUID(int=2),
            url="https://x",
            event_type=kind,
            secret="s",
            created_at=T0,
            active=active,
        )

    assert sub("crm.*").wants(event_type) == event_type.startswith("crm.")
    assert sub("crm.deal.*").wants(event_type) == event_type.startswith("crm.deal.")
    assert sub(event_type).wants(event_type)
    assert not sub(event_type, active=False).wants(event_type)


def test_a_wildcard_subscription_matches_its_prefix_with_the_dot() -> None:
    from datetime import UTC, datetime
    from uuid import UUID

    from crmcore.domain.access import WebhookSubscription

    sub = WebhookSubscription(
        id=UUID(int=1),
        url="https://h/x",
        event_type="crm.lead.*",
        secret="s",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert sub.wants("crm.lead.created")
    assert not sub.wants("crm.leads.created")
