"""The process side of ``crm serve``: an application factory uvicorn calls in each worker.

``crm serve`` puts the database URL and config file in the environment (``CRMCORE_DB``,
``CRMCORE_CONFIG``), so every worker process builds the same application from them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from crmcore.app.bootstrap import bootstrap, jwks_identity, oidc_login
from crmcore.app.context import Settings
from crmcore.app.http.api import create_api
from crmcore.app.http.settings import HttpSettings


def _config() -> dict[str, Any]:
    path = os.environ.get("CRMCORE_CONFIG")
    if not path:
        return {}
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    section = data.get("crm", data)
    return dict(section) if isinstance(section, dict) else {}


def factory() -> FastAPI:
    """The API over the database ``CRMCORE_DB`` names (uvicorn's ``--factory``)."""
    config = _config()
    settings = Settings.from_env()
    http = HttpSettings.from_env(config)
    identity = login = None
    if http.oidc_issuer and http.oidc_client_id:
        login = oidc_login(
            http.oidc_issuer,
            client_id=http.oidc_client_id,
            client_secret=http.oidc_client_secret,
            scope=http.oidc_scope,
        )
    if http.jwks_file:
        identity = jwks_identity(
            http.jwks_file, issuer=http.jwt_issuer or "", audience=http.jwt_audience
        )
    return create_api(bootstrap(settings), settings=http, identity=identity, login=login)
