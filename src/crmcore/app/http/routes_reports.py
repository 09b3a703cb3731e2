"""``/crm/pipeline``, ``/crm/segments`` and ``/crm/metrics/...``: the reports the CLI
prints, and saved segments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from crmcore.app.http.convert import deal_out, segment_out
from crmcore.app.http.models import (
    API_PROBLEMS,
    DealOut,
    HealthOut,
    PipelineRow,
    RfmReportOut,
    RfmSegmentRow,
    SegmentIn,
    SegmentMemberOut,
    SegmentOut,
)
from crmcore.app.http.security import READ, WRITE
from crmcore.app.http.services import services
from crmcore.app.http.support import idempotent, json_response, value
from crmcore.app.intelligence.health import health_report
from crmcore.app.intelligence.segments import (
    create_segment,
    get_segment,
    list_segments,
    rfm_report,
    segment_members,
)
from crmcore.app.sales.deals import pipeline_summary, slipping_deals
from crmcore.domain.access import ApiKey
from crmcore.domain.health import RiskLevel

router = APIRouter(prefix="/crm", responses=API_PROBLEMS)

Reader = Annotated[ApiKey, Depends(READ)]
Writer = Annotated[ApiKey, Depends(WRITE)]
SegmentName = Annotated[str, Path(min_length=1, max_length=100)]


def _dumped(model: type[BaseModel], items: Iterable[object]) -> list[dict[str, Any]]:
    """Each item as ``model`` reads it from its attributes, JSON-ready."""
    return [model.model_validate(x, from_attributes=True).model_dump(mode="json") for x in items]


@router.get("/pipeline", response_model=list[PipelineRow], tags=["pipeline"])
def pipeline(request: Request, _key: Reader) -> Response:
    """Deals, amounts and the weighted forecast per stage and currency (``crm deals pipeline``)."""
    rows = value(pipeline_summary(services(request).app))
    return json_response(_dumped(PipelineRow, rows))


@router.get("/pipeline/slipping", response_model=list[DealOut], tags=["pipeline"])
def pipeline_slipping(request: Request, _key: Reader) -> Response:
    """Open deals more than 14 days past their expected close."""
    deals = value(slipping_deals(services(request).app))
    return json_response([deal_out(d).model_dump(mode="json") for d in deals])


@router.get("/segments", response_model=list[SegmentOut], tags=["segments"])
def segments_list(request: Request, _key: Reader) -> Response:
    """Every saved segment with its member count (``crm segments list``)."""
    found = value(list_segments(services(request).app))
    return json_response([segment_out(s).model_dump(mode="json") for s in found])


@router.post("/segments", response_model=SegmentOut, status_code=201, tags=["segments"])
def segments_create(request: Request, key: Writer, body: SegmentIn) -> Response:
    """Save a segment defined by a filter (``crm segments create``); the filter's values
    reach the database only as bound parameters."""

    def run() -> Response:
        segment = value(
            create_segment(services(request).app, name=body.name, filter_json=body.filter)
        )
        return json_response(segment_out(segment), status=201, etag_version=segment.version)

    return idempotent(request, key, body, run)


@router.get("/segments/rfm", response_model=RfmReportOut, tags=["segments"])
def segments_rfm(request: Request, _key: Reader, as_of: date) -> Response:
    """Customers per RFM segment at ``as_of`` (``crm segments rfm``)."""
    report = value(rfm_report(services(request).app, as_of=as_of))
    out = RfmReportOut(
        as_of=report.as_of,
        segments=[RfmSegmentRow(segment=s.value, customers=n) for s, n in report.segments],
        active=report.active,
        sleeping=report.sleeping,
    )
    return json_response(out)


@router.get("/segments/{name}", response_model=SegmentOut, tags=["segments"])
def segments_show(request: Request, _key: Reader, name: SegmentName) -> Response:
    """One saved segment."""
    segment = value(get_segment(services(request).app, name=name))
    return json_response(segment_out(segment), etag_version=segment.version)


@router.get("/segments/{name}/members", response_model=list[SegmentMemberOut], tags=["segments"])
def segments_members(request: Request, _key: Reader, name: SegmentName) -> Response:
    """The contacts a segment's filter selects now."""
    _segment, members = value(segment_members(services(request).app, name=name))
    return json_response(_dumped(SegmentMemberOut, members))


@router.get("/metrics/health", response_model=list[HealthOut], tags=["metrics"])
def metrics_health(
    request: Request,
    _key: Reader,
    risk: Annotated[RiskLevel | None, Query(description="Only this risk level.")] = None,
) -> Response:
    """The latest health of every customer, worst first (``crm health report``)."""
    rows = value(health_report(services(request).app, risk=risk))
    return json_response(_dumped(HealthOut, rows))
