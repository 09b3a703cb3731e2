"""Synthetic customers for the loyalty board demo, shaped like the article's example.

The article's HR-SaaS case ends with 112 cards in "Recommender" and 12 in "Advocate";
:data:`DEMO_LEVELS` spreads a base of 568 customers over the default ladder that way.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import attrs
from returns.result import Result

from crmcore.app.context import App
from crmcore.app.errors import AppError
from crmcore.app.loyalty.board import CustomerImport, Placement, place_all
from crmcore.domain.loyalty_metrics import CustomerFacts

#: Cards per level of the default ladder after seeding (the article: 112 and 12).
DEMO_LEVELS: dict[str, int] = {
    "acquainted": 190,
    "customer": 150,
    "recommender": 112,
    "regular": 64,
    "partner": 36,
    "advocate": 12,
    "evangelist": 4,
}

_FIRST = ("Anna", "Boris", "Daria", "Egor", "Irina", "Kirill", "Maria", "Oleg", "Sofia", "Timur")
_LAST = ("Ivanova", "Petrov", "Smirnova", "Kuznetsov", "Popova", "Volkov", "Sokolova", "Orlov")


def _facts_for(level: int, rng: random.Random) -> CustomerFacts:
    """Facts that the default ladder places exactly at ``level`` (0-based)."""
    purchases = 0 if level == 0 else 1 if level == 1 else rng.randint(1, 3)
    invites = reviews = friends = brought = advocacy = 0
    partner, nps = False, rng.choice([None, 5, 7, 8])
    if level >= 2:
        invites, reviews = rng.choice([(1, 0), (0, 1), (2, 1)])
        friends = 0 if purchases >= 2 else rng.randint(0, 2)
    if level >= 3:
        purchases, friends = rng.randint(2, 6), rng.randint(1, 3)
    if level >= 4:
        partner, brought = True, rng.randint(0, 2)
    if level >= 5:
        brought = rng.randint(3, 8)
        advocacy, nps = rng.choice([(0, 9), (1, 7), (0, None)])
    if level >= 6:
        advocacy, nps = rng.randint(1, 3), rng.choice([9, 10])
    revenue = sum((Decimal(rng.randrange(20, 400)) for _ in range(purchases)), Decimal(0))
    return CustomerFacts(
        purchases=purchases,
        revenue=revenue,
        referral_invites=invites,
        reviews=reviews,
        referred_friends_converted=friends,
        partner_program=partner,
        paying_customers_brought=brought,
        advocacy=advocacy,
        last_nps=nps,
    )


def seed_board(
    app: App, rng: random.Random, *, levels: dict[str, int] | None = None
) -> Result[Placement, AppError]:
    """Import synthetic customers and place them; deterministic for a seeded ``rng``."""
    today = app.clock.now().date()
    counts = DEMO_LEVELS if levels is None else levels
    order = list(DEMO_LEVELS)
    imports: list[CustomerImport] = []
    for key, n in counts.items():
        for _ in range(n):
            first = today - timedelta(days=rng.randrange(1, 365))
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            facts = _facts_for(order.index(key), rng)
            imports.append(
                CustomerImport(
                    customer=app.ids.new(),
                    name=name,
                    contact=f"{name.lower().replace(' ', '.')}{len(imports)}@example.com",
                    first_interaction=first,
                    facts=attrs.evolve(facts, first_interaction=first),
                )
            )
    return place_all(app, imports=imports)
