"""``/crm/webhooks``: outbound webhook subscriptions (admin scope)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from crmcore.app.access.webhooks import add_subscription, list_subscriptions, remove_subscription
from crmcore.app.http.models import API_PROBLEMS, WebhookIn, WebhookOut
from crmcore.app.http.security import ADMIN
from crmcore.app.http.services import services
from crmcore.app.http.support import idempotent, json_response, value
from crmcore.domain.access import ApiKey, WebhookSubscription

router = APIRouter(prefix="/crm", responses=API_PROBLEMS)
Admin = Annotated[ApiKey, Depends(ADMIN)]


def _out(sub: WebhookSubscription, *, secret: bool = False) -> WebhookOut:
    out = WebhookOut.model_validate(sub, from_attributes=True)
    return out if secret else out.model_copy(update={"secret": None})


@router.get("/webhooks", response_model=list[WebhookOut], tags=["webhooks"])
def webhooks_list(request: Request, _key: Admin) -> Response:
    """Every subscription (never the secrets)."""
    subs = value(list_subscriptions(services(request).app))
    return json_response([_out(s).model_dump(mode="json") for s in subs])


@router.post("/webhooks", response_model=WebhookOut, status_code=201, tags=["webhooks"])
def webhooks_add(request: Request, key: Admin, body: WebhookIn) -> Response:
    """Subscribe a URL to crm.* events; the answer holds the signing secret, once."""

    def run() -> Response:
        sub = value(
            add_subscription(services(request).app, url=body.url, event_type=body.event_type)
        )
        return json_response(_out(sub, secret=True), status=201)

    return idempotent(request, key, body, run)


@router.post("/webhooks/{subscription_id}/remove", response_model=WebhookOut, tags=["webhooks"])
def webhooks_remove(request: Request, key: Admin, subscription_id: UUID) -> Response:
    """Stop deliveries to a subscription."""
    sub = value(remove_subscription(services(request).app, subscription_id))
    return json_response(_out(sub))
