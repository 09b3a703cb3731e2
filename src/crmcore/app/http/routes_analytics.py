"""``/crm/campaigns`` (list, show, stats; create and schedule with the write scope) and
``/crm/metrics/...``: the analytics reports of ``crm report`` as typed JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import attrs
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from crmcore.app.analytics.cohorts import cohort_report
from crmcore.app.analytics.deals import deals_report
from crmcore.app.analytics.funnel import funnel_report
from crmcore.app.analytics.leads import lead_sources
from crmcore.app.analytics.saas import saas_report
from crmcore.app.http.models import API_PROBLEMS, problem_responses
from crmcore.app.http.models_reports import (
    ActivationOut,
    BreakdownOut,
    CampaignIn,
    CampaignOut,
    CampaignSchedule,
    CampaignStatsOut,
    CohortOut,
    CreditOut,
    DealsOut,
    DealSummaryOut,
    ForecastOut,
    FunnelOut,
    LeadSourceOut,
    MetricOut,
    MonthOut,
    SaasOut,
    StageOut,
    VariantStats,
)
from crmcore.app.http.problems import Problem
from crmcore.app.http.security import READ, WRITE
from crmcore.app.http.services import services
from crmcore.app.http.support import idempotent, json_response, value
from crmcore.app.marketing.campaigns import (
    CampaignStats,
    campaign_stats,
    create_campaign,
    get_campaign,
    list_campaigns,
    schedule_campaign,
)
from crmcore.domain.abtest import AbRule
from crmcore.domain.access import ApiKey
from crmcore.domain.attribution import DEFAULT_HALF_LIFE, Model
from crmcore.domain.campaign import Campaign
from crmcore.domain.cohorts import CohortBy, CohortPeriod

router = APIRouter(prefix="/crm", responses=API_PROBLEMS)

Reader = Annotated[ApiKey, Depends(READ)]
Writer = Annotated[ApiKey, Depends(WRITE)]
Since = Annotated[
    date | None, Query(alias="from", description="First day read (UTC) [everything].")
]
Until = Annotated[date | None, Query(alias="to", description="Last day read, inclusive [today].")]
_NOT_FOUND = problem_responses(404)
_MOVE_ERRORS = problem_responses(404, 409)


def campaign_out(c: Campaign) -> CampaignOut:
    """A campaign as the API shows it."""
    return CampaignOut.model_validate(c, from_attributes=True)


def stats_out(s: CampaignStats) -> CampaignStatsOut:
    """A campaign's numbers as the API shows them."""
    c = s.campaign
    return CampaignStatsOut(
        id=c.id,
        name=c.name,
        status=c.status,
        pause_reason=c.pause_reason,
        planned=s.planned,
        pending=s.pending,
        sent=s.sent,
        failed=s.failed,
        suppressed=s.suppressed,
        unsubscribed=s.unsubscribed,
        opened=s.opened,
        clicked=s.clicked,
        converted=s.converted,
        held=s.held,
        winner=c.winner,
        metric=c.ab.metric,
        variants={
            v: VariantStats(
                template=t, sent=s.arms.get(v, (0, 0))[0], engaged=s.arms.get(v, (0, 0))[1]
            )
            for v, t in c.variants.items()
        },
    )


@router.get("/campaigns", response_model=list[CampaignOut], tags=["campaigns"])
def campaigns_list(request: Request, _key: Reader) -> Response:
    """Every campaign, oldest first (``crm campaigns list``)."""
    found = value(list_campaigns(services(request).app))
    return json_response([campaign_out(c).model_dump(mode="json") for c in found])


@router.post(
    "/campaigns",
    response_model=CampaignOut,
    status_code=201,
    tags=["campaigns"],
    responses=_NOT_FOUND,
)
def campaigns_create(request: Request, key: Writer, body: CampaignIn) -> Response:
    """Create a draft campaign (``crm campaigns create``); its templates and segment
    must exist."""

    def run() -> Response:
        rule = AbRule(**body.ab.model_dump()) if body.ab else AbRule()
        made = value(
            create_campaign(
                services(request).app,
                name=body.name,
                template=body.template,
                segment=body.segment,
                channels=body.channels or None,
                variants=body.variants or None,
                kind=body.kind,
                ab=rule,
            )
        )
        return json_response(campaign_out(made), status=201, etag_version=made.version + 1)

    return idempotent(request, key, body, run)


@router.get(
    "/campaigns/{campaign_id}", response_model=CampaignOut, tags=["campaigns"], responses=_NOT_FOUND
)
def campaigns_show(request: Request, _key: Reader, campaign_id: UUID) -> Response:
    """One campaign."""
    found = value(get_campaign(services(request).app, campaign_id=campaign_id))
    return json_response(campaign_out(found), etag_version=found.version)


@router.get(
    "/campaigns/{campaign_id}/stats",
    response_model=CampaignStatsOut,
    tags=["campaigns"],
    responses=_NOT_FOUND,
)
def campaigns_stats(request: Request, _key: Reader, campaign_id: UUID) -> Response:
    """Sent, failed, suppressed, opened, clicked, converted and the A/B arms."""
    return json_response(
        stats_out(value(campaign_stats(services(request).app, campaign_id=campaign_id)))
    )


@router.post(
    "/campaigns/{campaign_id}/schedule",
    response_model=CampaignOut,
    tags=["campaigns"],
    responses=_MOVE_ERRORS,
)
def campaigns_schedule(
    request: Request, key: Writer, campaign_id: UUID, body: CampaignSchedule
) -> Response:
    """Check every template variable against the audience, then schedule the campaign
    (``crm campaigns schedule``); 409 when a variable is missing or it is not a draft."""
    if body.at is not None and body.at.tzinfo is None:
        raise Problem(
            422,
            "at must carry its UTC offset",
            errors=[{"field": "at", "reason": "no UTC offset"}],
            kind="invalid-input",
        )

    def run() -> Response:
        done = value(schedule_campaign(services(request).app, campaign_id=campaign_id, at=body.at))
        return json_response(campaign_out(done), etag_version=done.version + 1)

    payload = {"campaign": str(campaign_id), **body.model_dump(mode="json")}
    return idempotent(request, key, payload, run)


# -- metrics ---------------------------------------------------------------------------


def _rows(items: Any) -> list[dict[str, Any]]:
    return [attrs.asdict(i) for i in items]


@router.get("/metrics/funnel", response_model=FunnelOut, tags=["metrics"])
def metrics_funnel(
    request: Request,
    _key: Reader,
    since: Since = None,
    until: Until = None,
    kind: Annotated[
        Literal["b2c", "b2b"], Query(description="b2c: contacts; b2b: the deal pipeline.")
    ] = "b2c",
) -> Response:
    """Per stage: journeys that entered and reached it, conversion, drop-off, hours in
    the stage; b2c adds the activation targets (``crm report funnel``)."""
    report = value(
        funnel_report(services(request).app, b2b=kind == "b2b", since=since, until=until)
    )
    a = report.activation
    out = FunnelOut(
        kind=report.kind,
        journeys=report.journeys,
        stages=[StageOut.model_validate(r) for r in _rows(report.stages)],
        activation=None if a is None else ActivationOut.model_validate(attrs.asdict(a)),
    )
    return json_response(out)


@router.get("/metrics/deals", response_model=DealsOut, tags=["metrics"])
def metrics_deals(
    request: Request, _key: Reader, since: Since = None, until: Until = None
) -> Response:
    """Won, lost, win rate, cycle, pipeline and forecast per currency; win/loss per lost
    reason, owner and source; the forecast per month (``crm report deals``)."""
    report = value(deals_report(services(request).app, since=since, until=until))
    out = DealsOut(
        summary=[DealSummaryOut.model_validate(r) for r in _rows(report.summaries)],
        breakdowns=[BreakdownOut.model_validate(r) for r in _rows(report.breakdowns)],
        forecast=[ForecastOut.model_validate(r) for r in _rows(report.forecast)],
    )
    return json_response(out)


@router.get("/metrics/cohorts", response_model=list[CohortOut], tags=["metrics"])
def metrics_cohorts(
    request: Request,
    _key: Reader,
    since: Since = None,
    until: Until = None,
    by: Annotated[CohortBy, Query(description="Group by signup or first purchase.")] = (
        CohortBy.FIRST_PURCHASE
    ),
    period: Annotated[CohortPeriod, Query(description="Cohorts and columns per period.")] = (
        CohortPeriod.MONTH
    ),
) -> Response:
    """The retention matrix, one row per cohort, column k the k-th period after the
    cohort's (``crm report cohorts``)."""
    app = services(request).app
    rows = value(cohort_report(app, by=by, since=since, until=until, period=period))
    out = [CohortOut.model_validate(r).model_dump(mode="json") for r in _rows(rows)]
    return json_response(out)


@router.get("/metrics/saas", response_model=SaasOut, tags=["metrics"])
def metrics_saas(
    request: Request,
    _key: Reader,
    since: Since = None,
    until: Until = None,
    spend: Annotated[Decimal | None, Query(ge=0, description="Spend of the window (CAC).")] = None,
    cac_target: Annotated[Decimal | None, Query(ge=0, description="CAC target.")] = None,
    ltv_target: Annotated[Decimal | None, Query(ge=0, description="LTV target.")] = None,
) -> Response:
    """MRR, ARR, growth, churn, NRR, ARPA, LTV, CAC, payback, NPS against their targets,
    and the MRR movement per month (``crm report saas``)."""
    for name, amount in (("spend", spend), ("cac_target", cac_target), ("ltv_target", ltv_target)):
        if amount is not None and not amount.is_finite():
            raise Problem(
                422,
                f"{name} must be a finite amount",
                errors=[{"field": name, "reason": "not finite"}],
                kind="invalid-input",
            )
    report = value(
        saas_report(
            services(request).app,
            since=since,
            until=until,
            spend=spend,
            cac_target=cac_target,
            ltv_target=ltv_target,
        )
    )
    out = SaasOut(
        metrics=[
            MetricOut(metric=m.name, value=m.value, target=m.target, status=m.status.value)
            for m in report.metrics
        ],
        months=[MonthOut.model_validate(r) for r in _rows(report.months)],
    )
    return json_response(out)


@router.get("/metrics/leads", response_model=list[LeadSourceOut], tags=["metrics"])
def metrics_leads(
    request: Request, _key: Reader, since: Since = None, until: Until = None
) -> Response:
    """Leads captured per source: qualified, converted, average score, conversion rate
    (``crm report leads``)."""
    rows = value(lead_sources(services(request).app, since=since, until=until))
    return json_response([LeadSourceOut.model_validate(r).model_dump(mode="json") for r in rows])


@router.get("/metrics/attribution", response_model=list[CreditOut], tags=["metrics"])
def metrics_attribution(
    request: Request,
    _key: Reader,
    since: Since = None,
    until: Until = None,
    model: Annotated[
        list[Model] | None, Query(max_length=6, description="Models to compare [markov].")
    ] = None,
    half_life: Annotated[
        float, Query(gt=0, le=1000, description="time-decay: touches to halve a weight.")
    ] = DEFAULT_HALF_LIFE,
) -> Response:
    """Channels credited with conversions and value, from the stored touchpoints
    (``crm report attribution --from-touchpoints``)."""
    from crmcore.app.analytics.attribution import attribution
    from crmcore.app.analytics.touchpoints import touchpoint_paths
    from crmcore.app.bootstrap import attribution_engine

    paths = value(touchpoint_paths(services(request).app, since=since, until=until))
    results = attribution(
        paths, model or [Model.MARKOV], engine=attribution_engine(), half_life=half_life
    )
    out = [
        CreditOut.model_validate({**attrs.asdict(c), "model": r.model.value}).model_dump(
            mode="json"
        )
        for r in results
        for c in r.credits
    ]
    return json_response(out)
