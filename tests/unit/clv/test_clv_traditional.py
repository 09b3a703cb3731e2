"""The traditional CLV formula: average order value x purchase frequency x lifetime."""

from __future__ import annotations

from decimal import Decimal

from crmcore.domain.clv import traditional_clv


def test_formula() -> None:
    assert traditional_clv(Decimal("50"), Decimal("4"), Decimal("3")) == Decimal("600")
