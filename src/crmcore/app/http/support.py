"""What the API routes share: JSON answers, failures as problems, ETags, cursors and
idempotent POSTs."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar
from uuid import UUID

import attrs
from fastapi import Request
from pydantic import BaseModel
from returns.result import Failure, Result
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from crmcore.app.access.idempotency import claim, complete, entry_id, fingerprint, release
from crmcore.app.context import App
from crmcore.app.errors import AppError
from crmcore.app.http.problems import Problem, from_app_error
from crmcore.app.http.services import services
from crmcore.domain.access import ApiKey

T = TypeVar("T")


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...


W = TypeVar("W", bound=_Versioned)

#: Largest page a list returns, and the default.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
#: What an ``Idempotency-Key`` may look like.
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def value(result: Result[T, AppError]) -> T:
    """The use case's value, or its failure raised as a problem."""
    if isinstance(result, Failure):
        raise from_app_error(result.failure())
    return result.unwrap()


def json_response(
    model: BaseModel | list[Any] | dict[str, Any],
    *,
    status: int = 200,
    etag_version: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON answer (with the record's version as its ``ETag`` when given)."""
    body = (
        model.model_dump_json()
        if isinstance(model, BaseModel)
        else json.dumps(model, ensure_ascii=False, default=str)
    )
    out = dict(headers or {})
    if etag_version is not None:
        out["ETag"] = etag(etag_version)
    return Response(body, status_code=status, media_type="application/json", headers=out)


def written(entity: W) -> W:
    """A record as stored by the write that returned it: a use case hands back the
    entity it saved, whose ``version`` is the one it read; the store is one ahead."""
    return attrs.evolve(entity, version=entity.version + 1)  # type: ignore[misc]


def etag(version: int) -> str:
    """The entity tag of a record's version."""
    return f'"{version}"'


def if_match_version(request: Request) -> int:
    """The version an update's ``If-Match`` names: 428 without one, 412 when it names
    no single version of ours."""
    raw = request.headers.get("if-match")
    if raw is None:
        raise Problem(
            428,
            "send If-Match with the ETag of the record you read (GET it first)",
            kind="precondition-required",
        )
    text = raw.strip().removeprefix("W/").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"' and text[1:-1].isdigit():
        return int(text[1:-1])
    raise Problem(412, "If-Match must be one ETag of this record", kind="stale-version")


def encode_cursor(last: UUID) -> str:
    """An opaque cursor for the page after the record ``last`` (a keyset cursor: the
    next page starts past that id, so rows added or removed meanwhile shift nothing)."""
    return base64.urlsafe_b64encode(b"k" + last.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> UUID | None:
    """The id a cursor starts after (422 for one we did not make)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 17 and raw[:1] == b"k":
        return UUID(bytes=raw[1:])
    raise Problem(
        422,
        "the cursor is not one this API returned",
        errors=[{"field": "cursor", "reason": "not a cursor"}],
        kind="invalid-input",
    )


def page_of(items: list[T], *, limit: int, key: Callable[[T], UUID]) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``items`` (fetched with one extra) and the next cursor."""
    if len(items) <= limit:
        return items, None
    return items[:limit], encode_cursor(key(items[limit - 1]))


def _kept(app: App, stored_id: UUID, response: Response) -> Response:
    """Keep the response of a request that held the key's claim if it succeeded (a 2xx,
    or a 3xx redirect of a page), else give the claim up."""
    if not 200 <= response.status_code < 400:
        release(app, stored_id)
        return response
    kept = [(k, v) for k, v in response.headers.items() if k.lower() in ("etag", "location")]
    complete(
        app,
        stored_id,
        status=response.status_code,
        body=bytes(response.body).decode("utf-8"),
        headers=kept,
    )
    return response


def _run_claimed(app: App, stored_id: UUID, run: Callable[[], Response]) -> Response:
    """Run a request that holds the key's claim; keep its response if it succeeded."""
    try:
        response = run()
    except BaseException:
        release(app, stored_id)
        raise
    return _kept(app, stored_id, response)


def idempotency_key(request: Request, *, fallback: str | None = None) -> str | None:
    """The request's ``Idempotency-Key`` (or ``fallback``, a page form's hidden field);
    422 for a malformed one."""
    raw = request.headers.get("idempotency-key") or fallback or None
    if raw is not None and not _IDEMPOTENCY_KEY.match(raw):
        raise Problem(
            422,
            "Idempotency-Key must be 1-200 visible ASCII characters",
            errors=[{"field": "Idempotency-Key", "reason": "malformed"}],
            kind="invalid-input",
        )
    return raw


def _held(app: App, stored_id: UUID, print_: str) -> Response | None:
    """Claim the key: ``None`` when this request may run, else the first response to
    replay (422 when the key came with another request, 409 while that one runs)."""
    stored = value(claim(app, stored_id, print_=print_))
    if stored is None:
        return None
    if stored.fingerprint != print_:
        raise Problem(
            422,
            "this Idempotency-Key was used with a different request",
            kind="idempotency-key-reused",
        )
    if stored.pending:
        raise Problem(
            409,
            "a request with this Idempotency-Key is still running; retry shortly",
            headers={"Retry-After": "1"},
            kind="idempotency-key-in-use",
        )
    headers = {**dict(stored.headers), "Idempotent-Replayed": "true"}
    media = "application/json" if stored.body else None
    return Response(stored.body, status_code=stored.status, media_type=media, headers=headers)


def idempotent(
    request: Request,
    caller: ApiKey | UUID,
    payload: Any,
    run: Callable[[], Response],
    *,
    fallback_key: str | None = None,
) -> Response:
    """Run a POST once per ``Idempotency-Key``: a retry with the same key and request
    gets the first (successful) response again; the same key on another request is 422.
    Keys are kept per ``caller`` (an API key, or :func:`caller_id` of another caller)."""
    raw = idempotency_key(request, fallback=fallback_key)
    if raw is None:
        return run()
    app = services(request).app
    stored_id = entry_id(caller.id if isinstance(caller, ApiKey) else caller, raw)
    body = payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)
    print_ = fingerprint(request.method, request.url.path, body)
    replay = _held(app, stored_id, print_)
    if replay is not None:
        return replay
    return _run_claimed(app, stored_id, run)


async def idempotent_async(
    request: Request,
    caller: UUID,
    body: bytes,
    run: Callable[[], Awaitable[Response]],
    *,
    replay_headers: dict[str, str] | None = None,
    key: str | None = None,
) -> Response:
    """:func:`idempotent` for an async route whose request is its raw ``body`` (a web
    form, signed events); ``replay_headers`` are added to a replayed response; ``key``
    stands in for a missing ``Idempotency-Key`` header."""
    raw = idempotency_key(request, fallback=key)
    if raw is None:
        return await run()
    app = services(request).app
    stored_id = entry_id(caller, raw)
    digest = hashlib.sha256(body).hexdigest()
    print_ = fingerprint(request.method, request.url.path, digest)
    replay = await run_in_threadpool(_held, app, stored_id, print_)
    if replay is not None:
        replay.headers.update(replay_headers or {})
        return replay
    try:
        response = await run()
    except BaseException:
        await run_in_threadpool(release, app, stored_id)
        raise
    return await run_in_threadpool(_kept, app, stored_id, response)
