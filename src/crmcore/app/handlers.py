"""The one place where the capabilities' reactions are registered.

Each entry maps a domain event class to the handlers that react to it, in order. A
handler receives the application, the open unit of work and a batch of events of that
class (see :mod:`crmcore.app.bus`). A new capability adds its handlers here; docs/bus.md
lists who reacts to what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from crmcore.app.analytics.alerts import routing_failed
from crmcore.app.bus import Handler, MessageBus, OncePerRound
from crmcore.app.clv.handlers import refresh_buyers
from crmcore.app.intelligence.handlers import (
    engagement_to_leads,
    mark_touched,
    record_transactions,
)
from crmcore.app.loyalty.handlers import answers_to_board, purchases_to_board, reviews_to_board
from crmcore.app.marketing.handlers import (
    count_clicks,
    count_conversions,
    count_opens,
    enrol_on_clv_status,
    enrol_on_conversion,
    enrol_on_funnel,
    enrol_on_score,
    enrol_on_status,
    leave_on_unsubscribe,
    offer_retention,
    prompt_on_usage_limit,
)
from crmcore.domain.clv_status import ClvStatusDetected
from crmcore.domain.events import DomainEvent
from crmcore.domain.health import ChurnRiskDetected
from crmcore.domain.interactions import (
    CustomerStatusChanged,
    EmailClicked,
    EmailOpened,
    FeedbackAnalysed,
    FormAnswered,
    FunnelStageChanged,
    LoginRecorded,
    PurchaseRecorded,
)
from crmcore.domain.lead import LeadConverted
from crmcore.domain.offers import UsageLimitReached
from crmcore.domain.routing import LeadRoutingFailed
from crmcore.domain.scoring import LeadScoreThresholdCrossed
from crmcore.domain.unsubscribe import Unsubscribed

#: Health: marked once per customer and round, whichever interactions touched them; the
#: event worker reassesses the marked customers in bulk.
_HEALTH = OncePerRound(mark_touched)

HANDLERS: Mapping[type[DomainEvent], Iterable[Handler]] = {
    # transactions first: the CLV refresh reads them
    PurchaseRecorded: (
        record_transactions,
        purchases_to_board,
        refresh_buyers,
        _HEALTH,
        count_conversions,
    ),
    FormAnswered: (answers_to_board, _HEALTH),
    FeedbackAnalysed: (reviews_to_board, _HEALTH),
    LoginRecorded: (_HEALTH,),
    EmailOpened: (engagement_to_leads, _HEALTH, count_opens),
    EmailClicked: (engagement_to_leads, _HEALTH, count_clicks),
    LeadRoutingFailed: (routing_failed,),  # issue 19: the critical alert at once
    FunnelStageChanged: (enrol_on_funnel,),
    CustomerStatusChanged: (enrol_on_status,),
    ClvStatusDetected: (enrol_on_clv_status,),
    LeadScoreThresholdCrossed: (enrol_on_score,),
    LeadConverted: (enrol_on_conversion,),
    Unsubscribed: (leave_on_unsubscribe,),
    ChurnRiskDetected: (offer_retention,),
    UsageLimitReached: (prompt_on_usage_limit,),
}


def message_bus() -> MessageBus:
    """The bus with every capability's handlers."""
    return MessageBus(HANDLERS)
