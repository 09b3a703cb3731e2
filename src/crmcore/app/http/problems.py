"""Errors as RFC 9457 ``application/problem+json``, and the one mapping from use-case
failures to HTTP statuses.

Nothing internal reaches a client: an unexpected exception is a bare 500 problem
(logged server-side), and a storage failure says only that storage is unavailable
(its message can carry SQL or paths).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from crmcore.app.errors import (
    AppError,
    Conflict,
    DuplicateLead,
    NotFound,
    StaleVersion,
    StorageFailure,
)
from crmcore.domain.errors import IllegalTransition, InvalidInput, RuleViolation

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("crmcore.http")

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}

#: The longest offending value echoed back in a field error.
_SHOWN_VALUE = 80


class Problem(Exception):
    """An error to answer with a problem document (raised by guards and routes)."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.kind = kind


def problem_response(
    status: int,
    detail: str = "",
    *,
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
    instance: str | None = None,
) -> Response:
    """A ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": f"urn:crmcore:problem:{kind}" if kind else "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _SHOWN_VALUE else text[:_SHOWN_VALUE] + "…"


def from_app_error(error: AppError) -> Problem:
    """The problem a use-case failure is answered with."""
    if isinstance(error, InvalidInput):
        fields = [
            {"field": e.field, "value": _shown(e.value), "reason": e.reason} for e in error.errors
        ]
        return Problem(422, "some fields are not valid", errors=fields, kind="invalid-input")
    if isinstance(error, NotFound):
        return Problem(404, str(error), kind="not-found")
    if isinstance(error, StaleVersion):
        return Problem(412, str(error), kind="stale-version")
    if isinstance(error, DuplicateLead):
        return Problem(409, str(error), kind="duplicate")
    if isinstance(error, Conflict):
        return Problem(409, "the record was changed or a unique key is taken", kind="conflict")
    if isinstance(error, IllegalTransition):
        return Problem(409, str(error), kind="illegal-transition")
    if isinstance(error, RuleViolation):
        return Problem(409, str(error), kind="rule-violation")
    if isinstance(error, StorageFailure):
        _log.warning("storage failure: %s", error.detail)
        return Problem(503, "storage is unavailable; retry later", kind="storage")
    return Problem(500)  # pragma: no cover - every AppError is mapped above


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "$", "reason": str(err.get("msg", "invalid"))})
    return out


def install(api: FastAPI) -> None:
    """Answer every error of ``api`` with a problem document."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(
            exc.status, exc.detail, errors=exc.errors, headers=exc.headers, kind=exc.kind
        )

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            422, "the request is not valid", errors=_validation_errors(exc), kind="invalid-input"
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else ""
        if detail == _TITLES.get(exc.status_code) or detail in ("Not Found", "Method Not Allowed"):
            detail = ""
        return problem_response(exc.status_code, detail, headers=exc.headers)

    async def on_crash(request: Request, exc: Exception) -> Response:
        _log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "an internal error occurred; it was logged")

    api.add_exception_handler(Problem, on_problem)
    api.add_exception_handler(RequestValidationError, on_validation)
    api.add_exception_handler(StarletteHTTPException, on_http)
    api.add_exception_handler(Exception, on_crash)
