"""schemathesis against ``/openapi.json``: generated requests to every operation, with a
key of every scope, never get a 5xx (a bounded number of examples per operation)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.access.apikeys import create_api_key
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.app.http.api import create_api
from crmcore.app.http.settings import HttpSettings
from tests.conftest import T0

_app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0), ids=SequentialIds(seed=3))
_api = create_api(
    _app,
    settings=HttpSettings(
        key_rate=1e6, key_burst=1_000_000, form_rate_per_minute=1e6, secure_cookies=False
    ),
)
_token = create_api_key(_app, name="fuzz", scope="admin").unwrap().token
schema = schemathesis.openapi.from_asgi("/openapi.json", _api)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_a_server_error(case: Any) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {_token}"}, checks=[not_a_server_error]
    )
