"""Data retention: how long each kind of record is kept, as data."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs


@attrs.frozen(kw_only=True)
class RetentionCutoffs:
    """Records older than these instants are purged (``None``: kept forever)."""

    leads_inactive_before: datetime
    activities_before: datetime
    campaign_detail_before: datetime
    health_history_before: datetime


@attrs.frozen(kw_only=True)
class RetentionPolicy:
    """The source's policy: leads 2 years inactive, activities 3 years, campaign detail
    1 year (aggregates forever), health-score history 6 months; deals and active contacts
    are kept."""

    leads_inactive: timedelta = timedelta(days=730)
    activities: timedelta = timedelta(days=1095)
    campaign_detail: timedelta = timedelta(days=365)
    health_history: timedelta = timedelta(days=183)

    def cutoffs(self, now: datetime) -> RetentionCutoffs:
        """The cut-off instants as of ``now``."""
        return RetentionCutoffs(
            leads_inactive_before=now - self.leads_inactive,
            activities_before=now - self.activities,
            campaign_detail_before=now - self.campaign_detail,
            health_history_before=now - self.health_history,
        )
