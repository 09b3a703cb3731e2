"""``/dashboard``: the team's pages, server-rendered (Jinja2), a little JavaScript for
dragging deals, no build step.

Login goes through the identity port (``crmcore.ports.identity``): the login form takes a
token from the identity provider, which is verified and kept in an HttpOnly, SameSite=Strict
cookie; every page verifies it again (it carries its own expiry). Pages need ``read``;
moving a deal and resolving a review need ``write`` and a same-origin POST. Every change
goes through the same use cases as the CLI and the API (a deal moves only from the
version the page showed).
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request
from returns.result import Failure
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from crmcore.app.access.idempotency import caller_id
from crmcore.app.analytics.deals import deals_report
from crmcore.app.analytics.funnel import funnel_report
from crmcore.app.analytics.leads import lead_sources
from crmcore.app.analytics.saas import saas_report
from crmcore.app.events.worker import list_reviews, resolve_review
from crmcore.app.http.problems import Problem, from_app_error
from crmcore.app.http.security import Guard, Public
from crmcore.app.http.services import services
from crmcore.app.http.support import (
    idempotency_key as idempotency_key_of,
)
from crmcore.app.http.support import (
    idempotent,
    idempotent_async,
    json_response,
    value,
)
from crmcore.app.intelligence.health import health_report
from crmcore.app.intelligence.segments import list_segments, rfm_report
from crmcore.app.loyalty.board import board_view, stuck_report
from crmcore.app.loyalty.cards_view import cards_by_level
from crmcore.app.sales.deals import list_deals, move_deal, slipping_deals
from crmcore.domain.access import Scope
from crmcore.domain.health import RiskLevel
from crmcore.domain.ids import ContactId, DealId
from crmcore.domain.pipeline import OPEN_STAGES, DealStage
from crmcore.domain.sentiment import SentimentLabel
from crmcore.ports.identity import Identity, InvalidToken

COOKIE = "crm_session"
LOGIN = "/dashboard/login"
PAGES = (
    ("/dashboard", "Pipeline"),
    ("/dashboard/loyalty", "Loyalty"),
    ("/dashboard/segments", "Segments"),
    ("/dashboard/health", "Health"),
    ("/dashboard/review", "Review"),
    ("/dashboard/analytics", "Analytics"),
)
#: Deals shown on the board (the most recent; the API pages through all of them).
BOARD_LIMIT = 500

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(prefix="/dashboard", include_in_schema=False)


def _to_login() -> HTTPException:
    return HTTPException(303, "log in first", headers={"Location": LOGIN})


class DashboardLogin(Guard):
    """A verified login cookie of at least ``scope``; POSTs must come from this origin."""

    kind = "dashboard-login"

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def __call__(self, request: Request) -> Identity:
        found = services(request)
        if found.identity is None:
            raise Problem(404, "the dashboard has no identity provider configured")
        token = request.cookies.get(COOKIE)
        if not token:
            raise _to_login()
        try:
            who = found.identity.verify(token)
        except InvalidToken:
            raise _to_login() from None
        if not who.scope.allows(self.scope):
            raise Problem(403, f"this needs the {self.scope.value} scope")
        if request.method == "POST":
            _same_origin(request)
        return who


def _same_origin(request: Request) -> None:
    """Refuse a cross-site POST (the cookie is SameSite=Strict too)."""
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is not None and origin.split("://", 1)[-1] != host:
        raise Problem(403, "cross-origin form posts are refused")


Viewer = Annotated[Identity, Depends(DashboardLogin(Scope.READ))]
Editor = Annotated[Identity, Depends(DashboardLogin(Scope.WRITE))]
LOGIN_PAGE = Public("the dashboard's login form: it is how a session starts")
SSO_PAGE = Public("the OpenID login's start and callback: how a session starts by redirect")
#: The cookie holding a redirect login's state, nonce and PKCE verifier until it returns.
PENDING = "crm_login"


def _flashed(path: str, message: str) -> str:
    """``path`` with a message for the next page to show."""
    return f"{path}?{urlencode({'flash': message[:200]})}"


def _fresh_key() -> str:
    """A new idempotency key for one form on a page."""
    return secrets.token_urlsafe(16)


def _page(request: Request, name: str, who: Identity | None, **context: Any) -> Response:
    return templates.TemplateResponse(
        request,
        name,
        {
            "fresh_key": _fresh_key,
            "who": who,
            "pages": PAGES,
            "here": request.url.path,
            "flash": request.query_params.get("flash", "")[:200],
            "can_write": who is not None and who.scope.allows(Scope.WRITE),
            **context,
        },
    )


@router.get("/login", dependencies=[Depends(LOGIN_PAGE)])
def login_form(request: Request) -> Response:
    """The login form (with a single sign-on link when an OpenID provider is set)."""
    sso = services(request).login is not None
    return _page(request, "login.html", None, title="Log in", sso=sso)


def _session(response: Response, request: Request, token: str) -> Response:
    """``response`` setting the session cookie to a verified login token."""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=services(request).settings.secure_cookies,
        path="/dashboard",
        max_age=12 * 3600,
    )
    return response


def _refused(request: Request, why: str) -> Response:
    response = _page(request, "login.html", None, title="Log in", flash=why, sso=True)
    response.status_code = 401
    response.delete_cookie(PENDING, path="/dashboard")
    return response


@router.get("/login/start", dependencies=[Depends(SSO_PAGE)])
async def login_start(request: Request) -> Response:
    """Send the browser to the OpenID provider (authorization code with PKCE); the
    login's state, nonce and code verifier wait in a short-lived cookie."""
    found = services(request)
    if found.login is None:
        raise Problem(404, "the dashboard has no OpenID provider configured")
    try:
        begun = await run_in_threadpool(found.login.start, redirect_uri=_callback(request))
    except InvalidToken as exc:
        return _refused(request, f"the sign-in provider failed: {exc}")
    response = RedirectResponse(begun.url, status_code=303)
    response.set_cookie(
        PENDING,
        f"{begun.state}.{begun.nonce}.{begun.verifier}",
        httponly=True,
        samesite="lax",  # it must come back with the provider's top-level redirect
        secure=found.settings.secure_cookies,
        path="/dashboard",
        max_age=600,
    )
    return response


def _callback(request: Request) -> str:
    return str(request.url_for("login_callback"))


@router.get("/callback", dependencies=[Depends(SSO_PAGE)])
async def login_callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Where the OpenID provider sends the browser back: the state must be this
    browser's, the code is exchanged with the PKCE verifier, and the ID token (nonce
    checked) becomes the session."""
    found = services(request)
    if found.login is None:
        raise Problem(404, "the dashboard has no OpenID provider configured")
    if error:
        return _refused(request, f"the sign-in provider refused: {error}")
    pending = request.cookies.get(PENDING, "").split(".")
    if len(pending) != 3 or not state or not code:
        return _refused(request, "this login was not started here (or took too long)")
    expected, nonce, verifier = pending
    if not hmac.compare_digest(expected.encode(), state.encode()):
        return _refused(request, "this login was not started here")
    try:
        token = await run_in_threadpool(
            found.login.finish,
            code=code,
            verifier=verifier,
            nonce=nonce,
            redirect_uri=_callback(request),
        )
        found.login.verify(token)
    except InvalidToken as exc:
        return _refused(request, f"not logged in: {exc}")
    # a page, not a redirect: the Strict session cookie is sent only by a navigation
    # that starts on this site, and a redirect chain from the provider does not
    response = _page(request, "signed_in.html", None, title="Logged in")
    response.delete_cookie(PENDING, path="/dashboard")
    return _session(response, request, token)


@router.post("/login", dependencies=[Depends(LOGIN_PAGE)])
def login(request: Request, token: Annotated[str, Form(max_length=8000)]) -> Response:
    """Verify an identity token and keep it in the session cookie."""
    found = services(request)
    _same_origin(request)
    if found.identity is None:
        raise Problem(404, "the dashboard has no identity provider configured")
    try:
        found.identity.verify(token.strip())
    except InvalidToken:
        response = _page(request, "login.html", None, title="Log in", flash="not a valid token")
        response.status_code = 401
        return response
    return _session(RedirectResponse("/dashboard", status_code=303), request, token.strip())


@router.post("/logout")
def logout(request: Request, who: Viewer) -> Response:
    """Forget the session cookie; a session that came from the OpenID provider is ended
    there too (RP-initiated logout: the browser goes to its ``end_session_endpoint``,
    which sends it back to the login page)."""
    response = RedirectResponse(_end_session(request) or LOGIN, status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


def _end_session(request: Request) -> str | None:
    """The provider's logout URL for this session, or ``None`` for a local logout only (no
    OpenID provider, a pasted token it did not issue, no end-session endpoint, or a
    provider that cannot be reached)."""
    login = services(request).login
    token = request.cookies.get(COOKIE, "")
    if login is None or not token:
        return None
    try:
        login.verify(token)  # only the provider's own ID token may be sent back to it
        return login.end_session(
            id_token=token, post_logout_redirect_uri=str(request.url_for("login_form"))
        )
    except InvalidToken:
        return None


@router.get("")
def pipeline_board(request: Request, who: Viewer) -> Response:
    """The deal pipeline as a board, and the slipping deals."""
    app = services(request).app
    deals = value(list_deals(app, limit=BOARD_LIMIT))
    stages = [s.value for s in DealStage if s in OPEN_STAGES] + ["closed_won", "closed_lost"]
    columns = [
        {"stage": stage, "deals": [d for d in deals if d.stage.value == stage]} for stage in stages
    ]
    slipping = value(slipping_deals(app))
    return _page(
        request,
        "pipeline.html",
        who,
        title="Pipeline",
        columns=columns,
        stages=stages,
        slipping=slipping,
    )


@router.post("/deals/{deal_id}/move")
def move(
    request: Request,
    who: Editor,
    deal_id: UUID,
    to: Annotated[DealStage, Form()],
    version: Annotated[int, Form(ge=0)],
    skip: Annotated[str | None, Form(max_length=500)] = None,
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """Move a deal through the same use case as ``crm deals move``, from ``version``; a
    move past other stages needs ``skip``, the reason. The page sends an idempotency
    key (a header, or the form's hidden field): a resent form gets the first answer."""
    payload = {"to": to.value, "version": version, "skip": skip or None}
    return idempotent(
        request,
        caller_id(f"dashboard:{who.subject}"),
        payload,
        lambda: _move(request, deal_id, to, version, skip),
        fallback_key=idempotency_key,
    )


def _move(
    request: Request, deal_id: UUID, to: DealStage, version: int, skip: str | None
) -> Response:
    app = services(request).app
    done = move_deal(
        app, DealId(deal_id), to=to.value, skip_reason=skip or None, expected_version=version
    )
    wants_json = "application/json" in request.headers.get("accept", "")
    if isinstance(done, Failure):
        if wants_json:
            raise from_app_error(done.failure())
        return RedirectResponse(_flashed("/dashboard", f"not moved: {done.failure()}"), 303)
    if wants_json:
        return json_response({"id": str(deal_id), "stage": done.unwrap().stage.value})
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/loyalty")
def loyalty(request: Request, who: Viewer) -> Response:
    """The loyalty ladder: cards, WIP and revenue per level, and where cards wait."""
    app = services(request).app
    view = value(board_view(app))
    stuck = value(stuck_report(app))
    cards = value(cards_by_level(app))
    return _page(request, "loyalty.html", who, title="Loyalty", view=view, stuck=stuck, cards=cards)


@router.get("/segments")
def segments(request: Request, who: Viewer) -> Response:
    """Saved segments and the RFM report as of today."""
    app = services(request).app
    found = value(list_segments(app))
    rfm = value(rfm_report(app, as_of=app.clock.now().date()))
    return _page(request, "segments.html", who, title="Segments", segments=found, rfm=rfm)


@router.get("/health")
def health(request: Request, who: Viewer) -> Response:
    """Customers whose health is red."""
    reds = value(health_report(services(request).app, risk=RiskLevel.RED))
    return _page(request, "health.html", who, title="Health", reds=reds)


@router.get("/review")
def review(request: Request, who: Viewer) -> Response:
    """The open review items."""
    items = value(list_reviews(services(request).app))
    labels = [label.value for label in SentimentLabel]
    return _page(request, "review.html", who, title="Review", items=items, labels=labels)


def _bars(rows: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """A bar chart's rows: label, value and width in % of the largest value."""
    top = max((v for _, v in rows), default=0.0) or 1.0
    return [{"label": k, "value": v, "width": round(100 * v / top, 1)} for k, v in rows]


@router.get("/analytics")
def analytics(request: Request, who: Viewer) -> Response:
    """The analytics reports as charts: the funnel, the deals forecast, lead sources and
    MRR per month (the numbers of ``/crm/metrics/...``)."""
    app = services(request).app
    funnel = value(funnel_report(app))
    deals = value(deals_report(app))
    sources = value(lead_sources(app))
    saas = value(saas_report(app))
    forecast: dict[str, float] = {}
    for f in deals.forecast:
        key = f"{f.month} {f.currency}"
        forecast[key] = forecast.get(key, 0.0) + float(f.weighted)
    return _page(
        request,
        "analytics.html",
        who,
        title="Analytics",
        funnel=_bars([(s.stage, float(s.reached)) for s in funnel.stages]),
        journeys=funnel.journeys,
        summaries=deals.summaries,
        forecast=_bars(sorted(forecast.items())),
        sources=_bars([(r["source"], float(r["leads"])) for r in sources]),
        mrr=_bars([(m.month, float(m.mrr)) for m in saas.months]),
        metrics=saas.metrics,
    )


@router.post("/review/{item_id}/resolve")
async def resolve(
    request: Request,
    who: Editor,
    item_id: UUID,
    decision: Annotated[str, Form(max_length=60)],
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """Resolve a review item (a label, a contact, or discard) as ``crm review resolve``;
    a resent form with the same idempotency key gets the first answer."""
    key = idempotency_key_of(request, fallback=idempotency_key)
    if key is None:
        return await _resolve(request, who, item_id, decision)
    return await idempotent_async(
        request,
        caller_id(f"dashboard:{who.subject}"),
        f"{item_id}\x1f{decision}".encode(),
        lambda: _resolve(request, who, item_id, decision),
        key=key,
    )


async def _resolve(request: Request, who: Identity, item_id: UUID, decision: str) -> Response:
    kind, _, rest = decision.partition(":")
    label = contact = None
    try:
        if kind == "label":
            label = SentimentLabel(rest)
        elif kind == "contact":
            contact = ContactId(UUID(rest))
        elif kind != "discard":
            raise ValueError(decision)
    except ValueError:
        raise Problem(422, "decision is label:<label>, contact:<id> or discard") from None
    done = await run_in_threadpool(
        resolve_review,
        services(request).app,
        item_id,
        label=label,
        contact_id=contact,
        discard=kind == "discard",
        by=who.subject,
    )
    note = "resolved" if not isinstance(done, Failure) else f"not resolved: {done.failure()}"
    return RedirectResponse(_flashed("/dashboard/review", note), status_code=303)
