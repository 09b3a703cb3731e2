"""``/crm/leads``, ``/crm/contacts``, ``/crm/accounts``, ``/crm/deals``: the same use cases
the CLI calls, with cursor pages, ETags, ``If-Match`` updates and idempotent POSTs.

A page by key (the next ids after a cursor) or a record by id is one indexed statement
on a read connection: those routes are ``async`` and run it on the event loop, without
the hop to a worker thread and back (a fifth of a read's CPU). Searches, filtered lists
and every write may take longer and run in the thread pool (sync routes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from returns.result import Result
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from crmcore.app.errors import AppError
from crmcore.app.http.convert import account_out, contact_out, deal_out, lead_out
from crmcore.app.http.models import (
    API_PROBLEMS,
    AccountIn,
    AccountOut,
    AccountUpdate,
    ContactIn,
    ContactOut,
    ContactUpdate,
    DealIn,
    DealMove,
    DealOut,
    DealUpdate,
    LeadIn,
    LeadOut,
    LeadUpdate,
    Page,
    problem_responses,
)
from crmcore.app.http.problems import Problem
from crmcore.app.http.security import READ, WRITE
from crmcore.app.http.services import services
from crmcore.app.http.support import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_cursor,
    idempotent,
    if_match_version,
    json_response,
    page_of,
    value,
    written,
)
from crmcore.app.sales.accounts import create_account, get_account, list_accounts
from crmcore.app.sales.contacts import (
    create_contact,
    find_contacts,
    get_contact,
    list_contacts,
    update_contact,
)
from crmcore.app.sales.deals import create_deal, get_deal, list_deals, move_deal
from crmcore.app.sales.leads import capture_lead, get_lead, list_leads
from crmcore.app.sales.updates import update_account, update_deal, update_lead
from crmcore.domain.access import ApiKey
from crmcore.domain.contact import LifecycleStage
from crmcore.domain.ids import AccountId, ContactId, DealId, LeadId
from crmcore.domain.lead import Lead, LeadStatus
from crmcore.domain.pipeline import DealStage

router = APIRouter(prefix="/crm", responses=API_PROBLEMS)

Reader = Annotated[ApiKey, Depends(READ)]
Writer = Annotated[ApiKey, Depends(WRITE)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[
    str | None, Query(max_length=40, description="`next_cursor` of the previous page.")
]
_UPDATE_ERRORS = problem_responses(404, 409, 412, 428)


def _id(item: Any) -> UUID:
    """The id a page's next cursor starts after."""
    found: UUID = item.id
    return found


def _page(
    model: type[Page[Any]], out: Callable[[Any], Any], found: Iterable[Any], limit: int
) -> Response:
    """A page of records (fetched with one extra) and the cursor of the next."""
    items, nxt = page_of([out(x) for x in found], limit=limit, key=_id)
    return json_response(model(items=items, next_cursor=nxt))


def _shown(out: Callable[[Any], BaseModel], entity: Any, *, stored: bool = False) -> Response:
    """One record with its version as the ``ETag``; ``stored`` when a write returned it
    (:func:`written`)."""
    if stored:
        entity = written(entity)
    return json_response(out(entity), etag_version=entity.version)


def _updated(
    request: Request,
    update: Callable[..., Result[Any, AppError]],
    key: UUID,
    changes: dict[str, Any],
    out: Callable[[Any], BaseModel],
) -> Response:
    """Apply ``changes`` to the record ``key``, from the version ``If-Match`` names."""
    version = if_match_version(request)
    entity = value(update(services(request).app, key, expected_version=version, **changes))
    return _shown(out, entity, stored=True)


def _created(out: Callable[[Any], BaseModel], entity: Any, path: str) -> Response:
    """201 with the new record, its ``ETag`` and its ``Location`` under ``/crm/<path>``."""
    entity = written(entity)
    return json_response(
        out(entity),
        status=201,
        etag_version=entity.version,
        headers={"Location": f"/crm/{path}/{entity.id}"},
    )


# -- leads -----------------------------------------------------------------------------


@router.get("/leads", response_model=Page[LeadOut], tags=["leads"])
async def leads_list(
    request: Request,
    _key: Reader,
    status: LeadStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Leads in creation order, a page at a time (``crm leads list``)."""
    after = decode_cursor(cursor)
    app = services(request).app

    def listed() -> Sequence[Lead]:
        return value(list_leads(app, status=status, limit=limit + 1, after=after))

    found = await run_in_threadpool(listed) if status else listed()
    return _page(Page[LeadOut], lead_out, found, limit)


@router.post("/leads", response_model=LeadOut, status_code=201, tags=["leads"])
def leads_capture(request: Request, key: Writer, body: LeadIn) -> Response:
    """Capture a lead (``crm leads capture``); every field error is reported at once."""

    def run() -> Response:
        lead = value(capture_lead(services(request).app, **body.model_dump()))
        return _created(lead_out, lead, "leads")

    return idempotent(request, key, body, run)


@router.get("/leads/{lead_id}", response_model=LeadOut, tags=["leads"])
async def leads_show(request: Request, _key: Reader, lead_id: UUID) -> Response:
    """One lead; its ``ETag`` is what ``If-Match`` of an update names."""
    lead = value(get_lead(services(request).app, LeadId(lead_id)))
    return _shown(lead_out, lead)


@router.put("/leads/{lead_id}", response_model=LeadOut, tags=["leads"], responses=_UPDATE_ERRORS)
def leads_update(request: Request, _key: Writer, lead_id: UUID, body: LeadUpdate) -> Response:
    """Change a lead's details; ``If-Match`` must name the version read."""
    changes = body.model_dump(exclude_unset=True)
    return _updated(request, update_lead, LeadId(lead_id), changes, lead_out)


# -- contacts --------------------------------------------------------------------------


@router.get("/contacts", response_model=Page[ContactOut], tags=["contacts"])
async def contacts_list(
    request: Request,
    _key: Reader,
    search: Annotated[str | None, Query(max_length=200)] = None,
    segment: Annotated[str | None, Query(max_length=100)] = None,
    lifecycle: LifecycleStage | None = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    account: Annotated[str | None, Query(max_length=300)] = None,
    account_id: UUID | None = None,
    archived: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Contacts in creation order filtered as ``crm contacts list`` does."""
    app = services(request).app
    after = decode_cursor(cursor)
    account_key = AccountId(account_id) if account_id else None
    filtered = search or segment or lifecycle or owner or account
    if archived and filtered:
        raise Problem(
            422,
            "archived lists every contact; it takes no other filter",
            errors=[{"field": "archived", "reason": "takes no other filter"}],
            kind="invalid-input",
        )
    if filtered:
        page = await run_in_threadpool(
            lambda: value(
                find_contacts(
                    app,
                    search=search,
                    segment=segment,
                    lifecycle=lifecycle.value if lifecycle else None,
                    owner=owner,
                    account=account,
                    account_id=account_key,
                    limit=limit + 1,
                    after=after,
                )
            )
        )
        found = list(page.contacts)
    else:
        found = list(
            value(
                list_contacts(
                    app,
                    account_id=account_key,
                    include_archived=archived,
                    limit=limit + 1,
                    after=after,
                )
            )
        )
    return _page(Page[ContactOut], contact_out, found, limit)


def _contact_fields(body: ContactIn | ContactUpdate) -> dict[str, Any]:
    """The body's fields as the contact use cases take them (``None`` keeps a field)."""
    fields = body.model_dump()
    fields["account_id"] = AccountId(body.account_id) if body.account_id else None
    fields["role"] = body.role.value if body.role else None
    fields["preferred_channel"] = body.preferred_channel.value if body.preferred_channel else None
    return fields


@router.post("/contacts", response_model=ContactOut, status_code=201, tags=["contacts"])
def contacts_add(request: Request, key: Writer, body: ContactIn) -> Response:
    """Add a contact (``crm contacts add``)."""

    def run() -> Response:
        contact = value(create_contact(services(request).app, **_contact_fields(body)))
        return _created(contact_out, contact, "contacts")

    return idempotent(request, key, body, run)


@router.get("/contacts/{contact_id}", response_model=ContactOut, tags=["contacts"])
async def contacts_show(request: Request, _key: Reader, contact_id: UUID) -> Response:
    """One contact."""
    contact = value(get_contact(services(request).app, ContactId(contact_id)))
    return _shown(contact_out, contact)


@router.put(
    "/contacts/{contact_id}", response_model=ContactOut, tags=["contacts"], responses=_UPDATE_ERRORS
)
def contacts_update(
    request: Request, _key: Writer, contact_id: UUID, body: ContactUpdate
) -> Response:
    """Change a contact; ``If-Match`` must name the version read."""
    changes = _contact_fields(body)
    return _updated(request, update_contact, ContactId(contact_id), changes, contact_out)


# -- accounts --------------------------------------------------------------------------


@router.get("/accounts", response_model=Page[AccountOut], tags=["accounts"])
async def accounts_list(
    request: Request, _key: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    """Accounts in creation order (``crm accounts list``)."""
    after = decode_cursor(cursor)
    found = value(list_accounts(services(request).app, limit=limit + 1, after=after))
    return _page(Page[AccountOut], account_out, found, limit)


@router.post("/accounts", response_model=AccountOut, status_code=201, tags=["accounts"])
def accounts_add(request: Request, key: Writer, body: AccountIn) -> Response:
    """Add an account (``crm accounts add``)."""

    def run() -> Response:
        account = value(create_account(services(request).app, **body.model_dump()))
        return _created(account_out, account, "accounts")

    return idempotent(request, key, body, run)


@router.get("/accounts/{account_id}", response_model=AccountOut, tags=["accounts"])
async def accounts_show(request: Request, _key: Reader, account_id: UUID) -> Response:
    """One account."""
    account = value(get_account(services(request).app, AccountId(account_id)))
    return _shown(account_out, account)


@router.put(
    "/accounts/{account_id}", response_model=AccountOut, tags=["accounts"], responses=_UPDATE_ERRORS
)
def accounts_update(
    request: Request, _key: Writer, account_id: UUID, body: AccountUpdate
) -> Response:
    """Change an account; ``If-Match`` must name the version read."""
    changes = body.model_dump(exclude_unset=True)
    return _updated(request, update_account, AccountId(account_id), changes, account_out)


# -- deals -----------------------------------------------------------------------------


@router.get("/deals", response_model=Page[DealOut], tags=["deals"])
def deals_list(
    request: Request,
    _key: Reader,
    stage: DealStage | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Deals, optionally in one stage (``crm deals list``)."""
    after = decode_cursor(cursor)
    found = value(list_deals(services(request).app, stage=stage, limit=limit + 1, after=after))
    return _page(Page[DealOut], deal_out, found, limit)


@router.post("/deals", response_model=DealOut, status_code=201, tags=["deals"])
def deals_open(request: Request, key: Writer, body: DealIn) -> Response:
    """Open a deal (``crm deals create``)."""

    def run() -> Response:
        deal = value(
            create_deal(
                services(request).app,
                title=body.title,
                amount=body.amount,
                currency=body.currency,
                account_id=AccountId(body.account_id) if body.account_id else None,
                contact_id=ContactId(body.contact_id) if body.contact_id else None,
                stage=body.stage.value,
                probability=body.probability,
                expected_close=body.expected_close,
                owner=body.owner,
            )
        )
        return _created(deal_out, deal, "deals")

    return idempotent(request, key, body, run)


@router.get("/deals/{deal_id}", response_model=DealOut, tags=["deals"])
def deals_show(request: Request, _key: Reader, deal_id: UUID) -> Response:
    """One deal."""
    deal = value(get_deal(services(request).app, DealId(deal_id)))
    return _shown(deal_out, deal)


@router.put("/deals/{deal_id}", response_model=DealOut, tags=["deals"], responses=_UPDATE_ERRORS)
def deals_update(request: Request, _key: Writer, deal_id: UUID, body: DealUpdate) -> Response:
    """Change a deal's terms; ``If-Match`` must name the version read."""
    changes = body.model_dump(exclude_unset=True)
    return _updated(request, update_deal, DealId(deal_id), changes, deal_out)


@router.post(
    "/deals/{deal_id}/move", response_model=DealOut, tags=["deals"], responses=_UPDATE_ERRORS
)
def deals_move(request: Request, key: Writer, deal_id: UUID, body: DealMove) -> Response:
    """Move a deal to the next stage or to ``to`` (``crm deals move``), from the version
    ``If-Match`` names."""
    version = if_match_version(request)

    def run() -> Response:
        deal = value(
            move_deal(
                services(request).app,
                DealId(deal_id),
                to=body.to.value if body.to else None,
                skip_reason=body.skip_reason,
                expected_version=version,
            )
        )
        return _shown(deal_out, deal, stored=True)

    fingerprint = {"to": body.to, "skip_reason": body.skip_reason, "version": version}
    return idempotent(request, key, fingerprint, run)
