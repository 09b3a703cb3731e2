"""A deterministic synthetic CRM for ``crm demo``."""

from __future__ import annotations

import random

from returns.result import Success

from crmcore.app.context import App
from crmcore.app.deals import create_deal, lose_deal, move_deal
from crmcore.domain.pipeline import OPEN_STAGES


def build_demo(app: App, *, seed: int = 7, deals: int = 40) -> None:
    """Create deals spread across the pipeline, some won and some lost."""
    rng = random.Random(seed)
    for n in range(deals):
        made = create_deal(app, title=f"Deal {n + 1}", amount=str(rng.randrange(1_000, 50_000)))
        if not isinstance(made, Success):
            continue
        deal = made.unwrap()
        for _ in range(rng.randrange(len(OPEN_STAGES) + 1)):
            move_deal(app, deal.id)
        if rng.random() < 0.1:
            lose_deal(app, deal.id, reason="budget cut")
