"""What neighbours push in: web-form leads (``POST /crm/forms/{form}``), signed events
(``POST /crm/events``) into the event inbox, and one-click unsubscribes from the links
every marketing e-mail carries (``/crm/unsubscribe``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from returns.result import Failure
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from crmcore.app.access.idempotency import caller_id
from crmcore.app.errors import DuplicateLead
from crmcore.app.events.worker import ingest_events
from crmcore.app.http.limits import retry_after
from crmcore.app.http.models import AcceptedOut, problem_responses
from crmcore.app.http.problems import Problem, from_app_error
from crmcore.app.http.security import Public, Signed
from crmcore.app.http.services import services
from crmcore.app.http.support import idempotent_async, json_response, value
from crmcore.app.marketing.unsubscribe import unsubscribe
from crmcore.app.sales.leads import capture_lead
from crmcore.codec.signing import signature_problem

router = APIRouter(prefix="/crm")

FORM = Public("web form: browsers post without keys; honeypot, per-address limit, origins")
PREFLIGHT = Public("CORS preflight of the web form: answers headers only")
SIGNED = Signed()
UNSUBSCRIBE = Public("one-click unsubscribe links: the signed token in the link is the key")
FormName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")]

#: The fields a web form may send (everything else is ignored).
FORM_FIELDS = ("email", "first_name", "last_name", "phone", "company", "job_title", "region")
_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["email"],
                    "properties": {f: {"type": "string", "maxLength": 300} for f in FORM_FIELDS},
                }
            }
        },
    }
}
_EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "array"}]}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
_JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


def _cors(request: Request) -> dict[str, str]:
    """CORS headers for an allowed ``Origin``; 403 for one not configured."""
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    if origin not in services(request).settings.form_origins:
        raise Problem(403, "this origin may not post forms", kind="origin-not-allowed")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _received(headers: dict[str, str]) -> Response:
    return json_response(AcceptedOut(status="received"), status=202, headers=headers)


@router.options("/forms/{form}", status_code=204, dependencies=[Depends(PREFLIGHT)], tags=["forms"])
def form_preflight(request: Request, form: FormName) -> Response:
    """The CORS preflight of a web form (allowed origins only)."""
    headers = _cors(request)
    headers.update(
        {
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    )
    return Response(status_code=204, headers=headers)


@router.post(
    "/forms/{form}",
    status_code=202,
    response_model=AcceptedOut,
    dependencies=[Depends(FORM)],
    tags=["forms"],
    openapi_extra=_FORM_BODY,
    responses=problem_responses(403, 413, 415, 422, 429),
)
async def form_capture(request: Request, form: FormName) -> Response:
    """Capture a lead from a web form (``application/x-www-form-urlencoded``).

    A filled honeypot field, and an e-mail already captured, are answered like a new lead
    (a bot or a prober learns nothing); field errors are 422 so the page can show them.
    With an ``Idempotency-Key`` (kept per form), a retry gets the first answer again.
    """
    found = services(request)
    headers = _cors(request)
    client = request.client.host if request.client else "unknown"
    wait = found.form_limiter.take(f"form:{client}")
    if wait > 0:
        raise Problem(
            429,
            "too many forms from this address",
            headers={**headers, "Retry-After": retry_after(wait)},
            kind="rate-limited",
        )
    return await idempotent_async(
        request,
        caller_id(f"form:{form}"),
        await request.body(),
        lambda: _capture(request, form, headers),
        replay_headers=headers,
    )


async def _capture(request: Request, form: str, headers: dict[str, str]) -> Response:
    found = services(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Problem(415, "send application/x-www-form-urlencoded", kind="unsupported-media")
    data = await request.form(max_fields=50, max_files=0)
    if str(data.get(found.settings.honeypot_field) or "").strip():
        return _received(headers)
    fields: dict[str, Any] = {f: str(data.get(f) or "")[:300] for f in FORM_FIELDS}
    result = await run_in_threadpool(
        capture_lead,
        found.app,
        email=fields["email"],
        first_name=fields["first_name"],
        last_name=fields["last_name"],
        phone=fields["phone"] or None,
        company=fields["company"] or None,
        job_title=fields["job_title"] or None,
        region=fields["region"] or None,
        source="organic",
        source_detail=f"form:{form}",
    )
    if isinstance(result, Failure) and not isinstance(result.failure(), DuplicateLead):
        problem = from_app_error(result.failure())
        problem.headers.update(headers)
        raise problem
    return _received(headers)


def _events_of(body: bytes, kind: str) -> list[Any]:
    if kind in _JSON_LINES:
        return [line for line in body.splitlines() if line.strip()]
    if kind != "application/json":
        raise Problem(
            415, "send application/json or application/x-ndjson", kind="unsupported-media"
        )
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        raise Problem(
            422,
            "the body is not JSON",
            errors=[{"field": "$", "reason": "not JSON"}],
            kind="invalid-input",
        ) from None
    if isinstance(parsed, list):
        return [json.dumps(item) if not isinstance(item, dict) else item for item in parsed]
    return [parsed if isinstance(parsed, dict) else json.dumps(parsed)]


@router.post(
    "/events",
    status_code=202,
    response_model=AcceptedOut,
    dependencies=[Depends(SIGNED)],
    tags=["events"],
    openapi_extra=_EVENTS_BODY,
    responses=problem_responses(401, 413, 415, 422, 503),
)
async def events_inbound(request: Request) -> Response:
    """Accept events (one JSON object, an array, or JSON lines) into the event inbox.

    Signed: ``X-Crm-Source`` names the sender, ``X-Crm-Timestamp`` is Unix seconds within
    5 minutes of now, ``X-Crm-Signature`` is ``sha256=`` + HMAC-SHA256 of
    ``"<timestamp>." + body`` with the source's secret. The 202 comes after the events
    are committed; rejected events are kept in the failed-events store and listed.
    With an ``Idempotency-Key`` (kept per source), a retry gets the first answer again.
    """
    found = services(request)
    body = await request.body()
    source = request.headers.get("x-crm-source", "")
    why = signature_problem(
        found.settings.webhook_secrets.get(source) if source else None,
        timestamp=request.headers.get("x-crm-timestamp"),
        signature=request.headers.get("x-crm-signature"),
        body=body,
        now=found.app.clock.now().timestamp(),
        tolerance=found.settings.webhook_tolerance,
    )
    if why is not None:
        raise Problem(401, f"signature refused: {why}", kind="bad-signature")
    return await idempotent_async(
        request, caller_id(f"events:{source}"), body, lambda: _ingest(request, body, source)
    )


async def _ingest(request: Request, body: bytes, source: str) -> Response:
    found = services(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    events = _events_of(body, kind)
    report = value(
        await run_in_threadpool(ingest_events, found.app, events, source=f"webhook:{source}")
    )
    rejected = [
        {
            "line": r.line,
            "event_id": r.event_id,
            "errors": [{"field": e.field, "reason": e.reason} for e in r.errors],
        }
        for r in report.rejected
    ]
    out = AcceptedOut(
        status="accepted",
        accepted=report.accepted,
        duplicates=report.duplicates,
        rejected=rejected,
    )
    return json_response(out, status=202)


Address = Annotated[str, Query(min_length=3, max_length=320, description="The address.")]
Token = Annotated[str, Query(min_length=1, max_length=100, description="The link's token.")]

_CONFIRM = """<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head>
<body><form method="post"><p>Stop e-mails to {address}?</p>
<button type="submit">Unsubscribe</button></form></body></html>"""


@router.get(
    "/unsubscribe",
    response_class=HTMLResponse,
    dependencies=[Depends(UNSUBSCRIBE)],
    tags=["marketing"],
    responses=problem_responses(422),
)
def unsubscribe_page(e: Address, t: Token) -> HTMLResponse:
    """The page a ``List-Unsubscribe`` link opens: a button that posts the unsubscribe
    (opening a link changes nothing, so a mail scanner that follows links does no harm)."""
    escaped = e.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return HTMLResponse(_CONFIRM.format(address=escaped.replace('"', "&quot;")))


@router.post(
    "/unsubscribe",
    response_model=AcceptedOut,
    dependencies=[Depends(UNSUBSCRIBE)],
    tags=["marketing"],
    responses=problem_responses(409, 422),
)
async def unsubscribe_post(request: Request, e: Address, t: Token) -> Response:
    """Unsubscribe the address of a signed link (the one-click ``List-Unsubscribe-Post``
    of the e-mail, or the button of the page): its consent on e-mail is withdrawn and
    ``crm.unsubscribe`` published. A token not made for the address is refused (409)."""
    result = await run_in_threadpool(
        unsubscribe, services(request).app, address=e, source="link", token=t
    )
    if isinstance(result, Failure):
        raise from_app_error(result.failure())
    return json_response(AcceptedOut(status="unsubscribed", accepted=1), status=200)
