"""The demo's purchases, loyalty facts and health inputs (issue 5), stored in the demo's
unit of work through the same functions the importers and use cases call.

- Purchases become transactions (``apply_purchases``: the import's path, so loyalty
  facts and cards follow them), keyed ``demo-<seed>-<n>``.
- Every demo contact gets loyalty facts beyond purchases (invites, reviews, referrals,
  partner program, advocacy, NPS) drawn for a target ladder level, and its card moves as
  far right as its facts allow; a few cards per column are taken by the team (WIP).
- Health inputs live in ``contact.attributes["health"]`` (where ``crm health assess`` reads
  them); each demo contact is assessed once. Accounts share a "mood", so some accounts are
  in the red as a whole.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from returns.result import Failure, Result, Success

from crmcore.app.context import App
from crmcore.app.errors import AppError
from crmcore.app.importing.transactions import TransactionRow, apply_purchases
from crmcore.app.intelligence.health import inputs_from, record_assessment
from crmcore.app.loyalty.board import apply_facts
from crmcore.domain import loyalty as ladder
from crmcore.domain.account import Account
from crmcore.domain.contact import Contact
from crmcore.domain.health import HealthConfig, assess
from crmcore.domain.ids import AccountId
from crmcore.domain.loyalty import BoardConfig
from crmcore.domain.loyalty_metrics import FactsDelta
from crmcore.domain.money import Money
from crmcore.ports.uow import UnitOfWork

FEATURES = ("reports", "integrations", "automation", "mobile", "api", "sso")
KEY_FEATURES = ("reports", "integrations", "automation")
OWNERS = ("alice", "bob", "carol")
#: Relative weights of the ladder level each contact's non-purchase facts aim at (the
#: article's 190/150/112/64/36/12/4 spread of 568 customers).
LEVEL_WEIGHTS = (190, 150, 112, 64, 36, 12, 4)
#: Cards per column the team works on (taken) after placement.
TAKEN_PER_COLUMN = 2


def demo_rng(seed: int, part: str) -> random.Random:
    """An independent, reproducible stream per part of the demo (str seeds hash stably)."""
    return random.Random(f"crm-demo:{seed}:{part}")


def account_moods(rng: random.Random, accounts: Sequence[Account]) -> dict[AccountId, float]:
    """How well each account is doing, 0 (about to churn) to 1 (thriving); one account in
    five (at least one) struggles."""
    struggling = set(rng.sample(range(len(accounts)), k=max(1, len(accounts) // 5)))
    return {
        a.id: rng.uniform(0.05, 0.35) if i in struggling else rng.uniform(0.55, 1.0)
        for i, a in enumerate(accounts)
    }


def health_facts(rng: random.Random, mood: float, now: datetime) -> dict[str, Any]:
    """A contact's ``attributes["health"]`` for a ``mood`` in [0, 1] (JSON-ready)."""

    def around(target: float, spread: float, top: int) -> int:
        return max(0, min(top, round(rng.gauss(target, spread))))

    facts: dict[str, Any] = {
        "active_days_30": around(mood * 24, 4, 30),
        "features_used": [f for f in FEATURES if rng.random() < 0.15 + 0.8 * mood],
        "key_features": list(KEY_FEATURES),
        "engagement_30": around(mood * 13, 3, 40),
        "tickets": around((1 - mood) * 3, 1, 10),
        "unresolved_tickets": around((1 - mood) * 2.5, 1, 8),
        "negative_feedback": rng.random() < (1 - mood) * 0.35,
        "last_active_at": (now - timedelta(days=around((1 - mood) * 30, 5, 90))).isoformat(),
    }
    if rng.random() < 0.8:
        facts["nps"] = around(mood * 10, 1.5, 10)
    if rng.random() < 0.3:
        facts["renewal_at"] = (now + timedelta(days=rng.randrange(5, 120))).isoformat()
    return facts


def purchase_rows(
    rng: random.Random, seed: int, contacts: Sequence[Contact], n: int, now: datetime
) -> list[TransactionRow]:
    """``n`` purchases over the last year by about 70 % of the contacts, a few of whom buy
    far more often than the rest (so that RFM has VIPs and one-off buyers)."""
    buyers = [c.user_id for c in contacts[: max(1, int(len(contacts) * 0.7))] if c.user_id]
    weights = [1 / (1 + i % 17) for i in range(len(buyers))]
    picked = rng.choices(buyers, weights=weights, k=n)
    rows = [
        (
            now - timedelta(days=rng.randrange(365), minutes=rng.randrange(1440)),
            customer,
            Decimal(rng.randrange(5, 300)) + Decimal("0.99"),
        )
        for customer in picked
    ]
    rows.sort()
    return [
        TransactionRow(
            customer_id=customer,
            occurred_at=at,
            amount=Money(amount, "USD"),
            transaction_id=f"demo-{seed}-{i:06d}",
            line=i + 1,
        )
        for i, (at, customer, amount) in enumerate(rows)
    ]


def loyalty_values(rng: random.Random, level: int) -> dict[str, object]:
    """Facts other than purchases that carry a customer to ``level`` (0-based) of the
    default ladder, given the purchases it needs (which the transactions decide)."""
    invites = reviews = friends = brought = advocacy = 0
    partner, nps = False, rng.choice([None, 5, 7, 8])
    if level >= 2:
        invites, reviews = rng.choice([(1, 0), (0, 1), (2, 1)])
    if level >= 3:
        friends = rng.randint(1, 3)
    if level >= 4:
        partner, brought = True, rng.randint(0, 2)
    if level >= 5:
        brought = rng.randint(3, 8)
        advocacy, nps = rng.choice([(0, 9), (1, 7), (0, None)])
    if level >= 6:
        advocacy, nps = rng.randint(1, 3), rng.choice([9, 10])
    return {
        "referral_invites": invites,
        "reviews": reviews,
        "referred_friends_converted": friends,
        "partner_program": partner,
        "paying_customers_brought": brought,
        "advocacy": advocacy,
        "last_nps": nps,
    }


def store_purchases(
    app: App, uow: UnitOfWork, rows: Sequence[TransactionRow], config: BoardConfig
) -> Result[int, AppError]:
    """Store the purchases (the import's path: loyalty facts and cards follow)."""
    return Success(apply_purchases(app, uow, rows).imported)


def place_on_board(
    app: App,
    uow: UnitOfWork,
    rng: random.Random,
    contacts: Sequence[Contact],
    config: BoardConfig,
) -> Result[int, AppError]:
    """Give every contact its non-purchase facts and move its card; then the team takes
    the first cards of each column. Returns the number of cards taken."""
    levels = range(len(LEVEL_WEIGHTS))
    for contact in contacts:
        level = rng.choices(levels, weights=LEVEL_WEIGHTS)[0]
        values = loyalty_values(rng, level)
        values["first_interaction"] = contact.created_at.date()
        known = uow.loyalty_facts.get(contact.id)
        if known is not None and known.first_interaction is not None:
            values["first_interaction"] = min(known.first_interaction, contact.created_at.date())
        placed = apply_facts(
            uow, app, customer=contact.id, delta=FactsDelta(values=values), config=config
        )
        if isinstance(placed, Failure):
            return Failure(placed.failure())
    return Success(_take_cards(app, uow, config))


def _take_cards(app: App, uow: UnitOfWork, config: BoardConfig) -> int:
    now = app.clock.now()
    taken = 0
    for key in config.keys:
        for owner, card in zip(OWNERS[:TAKEN_PER_COLUMN], uow.cards.list(level=key), strict=False):
            read = uow.cards.column_version(key)
            active = uow.cards.list(level=key, active_only=True)
            change = ladder.take(card, owner, active, config, at=now)
            if isinstance(change, Failure) or not change.unwrap().events:
                continue
            uow.cards.save(change.unwrap().entity)
            uow.card_moves.append(
                ladder.move_records(change.unwrap().events, at=now, new_id=app.ids.new)
            )
            uow.record(*change.unwrap().events)
            uow.cards.bump_column(key, read)
            taken += 1
    return taken


def assess_contacts(
    app: App, uow: UnitOfWork, contacts: Sequence[Contact], config: HealthConfig
) -> Result[int, AppError]:
    """Score each contact's health from its ``attributes["health"]`` and store it."""
    now = app.clock.now()
    for contact in contacts:
        raw = contact.attributes.get("health", {})
        parsed = inputs_from(raw if isinstance(raw, Mapping) else {})
        if isinstance(parsed, Failure):
            return Failure(parsed.failure())
        record_assessment(app, uow, contact.id, assess(parsed.unwrap(), config, now=now), config)
    return Success(len(contacts))
