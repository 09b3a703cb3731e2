"""Lead-source effectiveness (C1, C11): how many leads each source brought and how far
they got."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class LeadSourceStats:
    """The leads of one source: how many, qualified, converted, and their scores summed."""

    source: str
    leads: int
    qualified: int
    converted: int
    score_total: int

    @property
    def average_score(self) -> float | None:
        """Mean score to one decimal (None without leads)."""
        return round(self.score_total / self.leads, 1) if self.leads else None

    @property
    def conversion_rate(self) -> float | None:
        """Converted over captured (None without leads)."""
        return self.converted / self.leads if self.leads else None
