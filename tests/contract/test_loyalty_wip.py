"""The WIP limit holds under concurrency, on every backend: two units of work taking cards
in one column cannot both commit past the limit."""

from __future__ import annotations

import threading
from datetime import date
from uuid import UUID

import pytest
from returns.result import Failure, Success

from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.app.context import App, Settings
from crmcore.app.errors import Conflict
from crmcore.app.loyalty.board import board_view, open_card, take_card
from crmcore.app.loyalty.config import default_template, parse_board_toml
from crmcore.domain import loyalty as ladder
from crmcore.domain.loyalty import BoardConfig, CardId
from crmcore.ports.errors import ConcurrentModification
from tests.contract.conftest import Backend
from tests.contract.test_concurrency import _threads


def _board(limit: int) -> BoardConfig:
    parsed = parse_board_toml(default_template().replace("wip_limit = 10", f"wip_limit = {limit}"))
    assert isinstance(parsed, Success)
    board: BoardConfig = parsed.unwrap()
    return board


def _app(backend: Backend, limit: int) -> App:
    return App(
        uow=backend.uow,
        clock=backend.clock,
        ids=backend.ids,
        publisher=MemoryPublisher(),
        settings=Settings(db_url=f"(contract test: {backend.name})", board=_board(limit)),
    )


def _open(app: App, n: int) -> list[CardId]:
    ids = []
    for i in range(n):
        opened = open_card(app, customer=UUID(int=i + 1), name=f"C{i}",
                           first_interaction=date(2025, 1, 1))  # fmt: skip
        assert isinstance(opened, Success), opened
        ids.append(opened.unwrap().id)
    return ids


@pytest.mark.parametrize("column", ["fresh", "used"])
def test_two_takes_in_one_column_past_the_limit_exactly_one_commits(
    backend: Backend, column: str
) -> None:
    """The take protocol on the ports, both units of work reading before either writes."""
    app = _app(backend, limit=1)
    config = _board(1)
    first, second = _open(app, 2)
    if column == "used":  # the column's counter row exists already
        with backend.uow() as uow:
            uow.cards.bump_column("acquainted", uow.cards.column_version("acquainted"))
            uow.commit()
    both_read = threading.Barrier(2, timeout=60)
    outcomes: dict[int, str] = {}

    def take(i: int) -> None:
        with backend.uow() as uow:
            card = uow.cards.get((first, second)[i])
            assert card is not None
            read = uow.cards.column_version(card.level)
            active = uow.cards.list(level=card.level, active_only=True)
            both_read.wait()
            taken = ladder.take(card, f"owner{i}", active, config, at=backend.clock.now())
            assert isinstance(taken, Success)  # each saw an empty column
            try:
                uow.cards.bump_column(card.level, read)
                uow.cards.save(taken.unwrap().entity)
                uow.commit()
                outcomes[i] = "committed"
            except ConcurrentModification:
                outcomes[i] = "conflict"

    _threads(2, take)
    assert sorted(outcomes.values()) == ["committed", "conflict"]
    with backend.uow() as uow:
        assert len(uow.cards.list(level="acquainted", active_only=True)) == 1


def test_racing_take_use_cases_never_pass_the_limit(backend: Backend) -> None:
    limit, workers = 2, 5
    app = _app(backend, limit=limit)
    cards = _open(app, workers)
    results: dict[int, object] = {}
    start = threading.Barrier(workers, timeout=60)

    def take(i: int) -> None:
        start.wait()
        results[i] = take_card(app, cards[i], owner=f"owner{i}")

    _threads(workers, take)
    won = [r for r in results.values() if isinstance(r, Success)]
    lost = [r.failure() for r in results.values() if isinstance(r, Failure)]
    assert len(won) <= limit
    assert all(isinstance(f, Conflict) or "WIP limit" in str(f) for f in lost), lost
    view = board_view(app)
    assert isinstance(view, Success)
    assert view.unwrap().columns[0].active == len(won) <= limit
    # retrying the losers fills the column exactly to the limit, never past it
    for i, r in results.items():
        if isinstance(r, Failure):
            take_card(app, cards[i], owner=f"owner{i}")
    after = board_view(app)
    assert isinstance(after, Success)
    assert after.unwrap().columns[0].active == limit
