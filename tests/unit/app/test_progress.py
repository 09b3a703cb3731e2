"""Long use cases report ``progress(done, total)``; the chunks cover every item once."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import App
from crmcore.app import progress as progress_module
from crmcore.app.intelligence.health import assess_all
from crmcore.app.intelligence.scoring import rescore_leads
from crmcore.app.loyalty.board import place_all
from crmcore.app.loyalty.demo import seed_board
from crmcore.app.progress import chunks
from crmcore.app.sales.contacts import create_contact
from crmcore.app.sales.leads import capture_lead
from crmcore.domain.health import HealthConfig
from crmcore.domain.scoring import ScoringConfig


class Reports:
    """A progress callback that remembers what it heard."""

    def __init__(self) -> None:
        self.heard: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.heard.append((done, total))

    def check_complete(self, total: int) -> None:
        """Reports rise to ``total`` and never claim more than is there."""
        done = [d for d, _ in self.heard]
        assert done == sorted(done)
        assert all(t == total and 0 < d <= t for d, t in self.heard)
        assert self.heard[-1] == (total, total)


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=25))
def test_chunks_cover_every_item_once_in_order_and_report_each(items: list[int], size: int) -> None:
    heard = Reports()
    seen = [x for chunk in chunks(items, heard, size=size) for x in chunk]
    assert seen == items
    assert len(heard.heard) == -(-len(items) // size)
    if items:
        heard.check_complete(len(items))
    assert list(chunks(items, None, size=size)) == [
        items[i : i + size] for i in range(0, len(items), size)
    ]


def test_health_assessment_reports_each_chunk(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(7):
        create_contact(app, first_name=f"P{i}", email=f"p{i}@example.com").unwrap()
    heard = Reports()
    monkeypatch.setattr(progress_module, "CHUNK", 3)
    summary = assess_all(app, config=HealthConfig(), progress=heard).unwrap()
    assert summary.assessed == 7
    heard.check_complete(7)
    assert [d for d, _ in heard.heard] == [3, 6, 7]


def test_rescoring_reports_every_lead(app: App) -> None:
    for i in range(5):
        capture_lead(app, email=f"lead{i}@example.com", first_name=f"L{i}").unwrap()
    heard = Reports()
    summary = rescore_leads(app, config=ScoringConfig(), progress=heard).unwrap()
    assert summary.scored == 5
    heard.check_complete(5)


def test_placing_the_board_reports_every_card(app: App) -> None:
    seed_board(app, random.Random(5), levels={"acquainted": 4, "customer": 3}).unwrap()
    heard = Reports()
    placed = place_all(app, progress=heard).unwrap()
    total = placed.moved + placed.unchanged + len(placed.skipped)
    assert total == 7
    heard.check_complete(7)
