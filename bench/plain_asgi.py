"""The plain-library baseline of ``bench.http_api``: bare Starlette under uvicorn answering
``GET /crm/contacts`` with a fixed page of 20 contact-shaped objects (no key check, no
database), so the API's figures can be read against what the server stack alone costs."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_PAGE = json.dumps(
    {
        "items": [
            {
                "id": f"00000000-0000-7000-8000-{n:012d}",
                "first_name": f"Bench{n}",
                "last_name": "Person",
                "email": f"bench{n}@example.com",
                "version": 1,
            }
            for n in range(20)
        ],
        "next_cursor": None,
    }
).encode()


async def contacts(request: Request) -> Response:
    """The fixed page."""
    return Response(_PAGE, media_type="application/json")


async def openapi(request: Request) -> Response:
    """What the bench polls to know the server is up."""
    return Response(b"{}", media_type="application/json")


app = Starlette(routes=[Route("/crm/contacts", contacts), Route("/openapi.json", openapi)])
