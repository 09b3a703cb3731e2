"""The collector's threshold is raised inside bulk use cases and restored after."""

from __future__ import annotations

import gc

import pytest

from crmcore.app.events.collections_gc import BULK_THRESHOLD, PIPELINE_THRESHOLD, fewer_collections


def test_the_threshold_is_raised_and_restored_when_the_last_user_leaves() -> None:
    before = gc.get_threshold()
    outer = fewer_collections()
    inner = fewer_collections()
    outer.__enter__()
    assert gc.get_threshold()[0] == BULK_THRESHOLD
    inner.__enter__()
    outer.__exit__(None, None, None)  # overlapping users (threads): still raised
    assert gc.get_threshold()[0] == BULK_THRESHOLD
    inner.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_an_error_inside_restores_the_threshold() -> None:
    before = gc.get_threshold()
    with pytest.raises(ZeroDivisionError), fewer_collections():
        _ = 1 / 0
    assert gc.get_threshold() == before


def test_the_highest_threshold_asked_for_holds_until_the_last_user_leaves() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        with fewer_collections(PIPELINE_THRESHOLD):
            assert gc.get_threshold()[0] == PIPELINE_THRESHOLD
            with fewer_collections():  # a lower one does not lower it
                assert gc.get_threshold()[0] == PIPELINE_THRESHOLD
        assert gc.get_threshold()[0] == PIPELINE_THRESHOLD
    assert gc.get_threshold() == before


def test_a_disabled_threshold_stays_disabled() -> None:
    before = gc.get_threshold()
    gc.set_threshold(0, *before[1:])
    try:
        with fewer_collections(PIPELINE_THRESHOLD):
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_a_transactions_import_runs_with_the_pipelines_threshold() -> None:
    from returns.result import Success

    from crmcore import Settings, bootstrap
    from crmcore.app.importing.transactions import TransactionRow, import_transactions, parse_row

    app = bootstrap(Settings(db_url="memory://"))
    records = [
        {"customer_id": c, "occurred_at": at, "amount": a}
        for c, at, a in (("u1", "2025-03-02", "40.00"), ("u2", "2025-01-15", "9.50"))
    ]
    parsed = [parse_row(n, r, default_currency="EUR") for n, r in enumerate(records, start=2)]
    rows = [row for row in parsed if isinstance(row, TransactionRow)]
    assert len(rows) == 2
    before = gc.get_threshold()
    seen: list[int] = []
    done = import_transactions(
        app,
        rows,
        batch=1,
        progress=lambda _: seen.append(gc.get_threshold()[0]),
    )
    assert isinstance(done, Success)
    assert done.unwrap().imported == 2
    assert seen == [PIPELINE_THRESHOLD, PIPELINE_THRESHOLD]
    assert gc.get_threshold() == before
