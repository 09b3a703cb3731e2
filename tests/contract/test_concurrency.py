"""Concurrent units of work on real threads: exactly one wins, no update is ever lost."""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs

from crmcore.domain.lead import Lead
from crmcore.ports.errors import ConcurrentModification
from tests.contract.conftest import Backend
from tests.contract.helpers import deal, lead


def _threads(n: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors


def test_two_threads_move_the_same_deal_exactly_one_commits(backend: Backend) -> None:
    d = deal(backend)
    with backend.uow() as uow:
        uow.deals.add(d)
        uow.commit()
    both_read = threading.Barrier(2, timeout=60)
    outcomes: dict[int, str] = {}

    def move(i: int) -> None:
        with backend.uow() as uow:
            loaded = uow.deals.get(d.id)
            assert loaded is not None
            both_read.wait()
            changed = (
                loaded.advance(at=backend.clock.now())
                if i == 0
                else loaded.lose("lost", at=backend.clock.now())
            )
            try:
                uow.deals.save(changed.unwrap().entity)
                uow.commit()
                outcomes[i] = "committed"
            except ConcurrentModification:
                outcomes[i] = "conflict"

    _threads(2, move)
    assert sorted(outcomes.values()) == ["committed", "conflict"]
    with backend.uow() as uow:
        final = uow.deals.get(d.id)
    assert final is not None
    assert final.version == 2
    assert len(final.history) == 2


def test_retrying_increments_lose_no_update(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.commit()
    workers, rounds = 4, 5

    def bump(_i: int) -> None:
        for _ in range(rounds):
            while True:
                try:
                    with backend.uow() as uow:
                        current: Lead | None = uow.leads.get(ann.id)
                        assert current is not None
                        uow.leads.save(attrs.evolve(current, score=current.score + 1))
                        uow.commit()
                    break
                except ConcurrentModification:
                    continue

    _threads(workers, bump)
    with backend.uow() as uow:
        final = uow.leads.get(ann.id)
    assert final is not None
    assert final.score == workers * rounds
    assert final.version == 1 + workers * rounds
