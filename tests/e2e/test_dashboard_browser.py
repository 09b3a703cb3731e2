"""The dashboard in a real browser (Playwright driving headless Chromium): log in, move a
deal on the board by dragging it, resolve a review item, and a screenshot of every page at
1280×800 and at phone width (kept in ``$CRMCORE_ARTIFACTS/dashboard``, else the test's
temporary folder).

Playwright's own browser download cannot run here, so the test drives Debian's chromium
(``apt-get install chromium``) through its executable path, or ``$CRMCORE_CHROMIUM``; it
is skipped when neither Playwright nor a Chromium is installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from crmcore.adapters.identity.jwks import JwksVerifier
from crmcore.adapters.system import FixedClock
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings
from crmcore.app.events.worker import ingest_events, list_reviews, process_inbox
from crmcore.app.http.api import create_api
from crmcore.app.http.settings import HttpSettings
from crmcore.app.sales.deals import create_deal, get_deal
from crmcore.domain.ids import DealId
from tests.conftest import T0
from tests.http.identity import AUDIENCE, ISSUER, Provider

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CRMCORE_CHROMIUM") or shutil.which("chromium")
pytestmark = [pytest.mark.slow]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
PAGES = [
    "/dashboard",
    "/dashboard/loyalty",
    "/dashboard/segments",
    "/dashboard/health",
    "/dashboard/review",
    "/dashboard/analytics",
]


@pytest.fixture(autouse=True)
def chromium() -> None:
    """Skip without a Chromium; under CRMCORE_REQUIRE_SERVICES=1 (CI) fail instead."""
    if CHROMIUM is None:
        message = "no Chromium (apt-get install chromium)"
        if os.environ.get("CRMCORE_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CRMCORE_ARTIFACTS", str(tmp_path))) / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, App, Provider]]:
    provider = Provider(tmp_path)
    app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0))
    verifier = JwksVerifier(provider.jwks, issuer=ISSUER, audience=AUDIENCE)
    api = create_api(app, settings=HttpSettings(secure_cookies=False), identity=verifier)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # start-up, not a timed assertion
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app, provider
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_log_in_move_a_deal_resolve_a_review(
    served: tuple[str, App, Provider], artefacts: Path
) -> None:
    base, app, provider = served
    deal = create_deal(app, title="Board deal", amount="500").unwrap()
    create_deal(app, title="Other deal", amount="70", stage="meeting").unwrap()
    event = {
        "id": "m1",
        "type": "message",
        "occurred_at": "2026-01-05T10:00:00+03:00",
        "customer": {"email": "a@example.com"},
        "data": {"text": "good but slow", "channel": "telegram"},
    }
    ingest_events(app, [event]).unwrap()
    process_inbox(app).unwrap()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/dashboard")
        assert page.url.endswith("/dashboard/login")
        page.fill("textarea[name=token]", provider.token(scope="crm:write"))
        page.click('button:has-text("Log in")')
        page.wait_for_url(f"{base}/dashboard")
        asked: list[str] = []

        def answer(dialog: Any) -> None:  # lead -> meeting skips a stage: the page asks why
            asked.append(dialog.message)
            dialog.accept("met at the fair")

        page.on("dialog", answer)
        card = page.locator(".card", has_text="Board deal")
        target = page.locator("section[data-stage=meeting]")
        card.drag_to(target, source_position={"x": 12, "y": 10})  # on the title
        page.locator("section[data-stage=meeting] .card", has_text="Board deal").wait_for()
        assert get_deal(app, DealId(deal.id)).unwrap().stage.value == "meeting"
        assert asked == ["Moving from lead to meeting skips stages: why?"]
        page.goto(f"{base}/dashboard/review")
        page.click('button:has-text("Resolve")')
        page.locator(".flash", has_text="resolved").wait_for()
        assert list_reviews(app).unwrap() == []
        for label, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            for path in PAGES:
                page.goto(f"{base}{path}")
                name = path.strip("/").replace("/", "-")
                page.screenshot(path=str(artefacts / f"{name}-{label}.png"), full_page=True)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{path} scrolls sideways at {width}px"
        browser.close()
    assert len(list(artefacts.glob("*.png"))) == len(PAGES) * len(SIZES)
