"""``crm serve``: the HTTP API (and dashboard) under uvicorn."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from crmcore.app.bootstrap import is_throwaway_sqlite
from crmcore.app.cli.context import fail, note, settings_of, state_from
from crmcore.app.http.settings import HttpSettings

EXIT_USAGE = 2


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (each keeps its own rate-limit buckets).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="uvicorn's log level.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the HTTP API on HOST:PORT until interrupted (see docs/cli.md, crm serve).

    Every route needs an API key from `crm apikeys create`; the OpenAPI document is at
    /openapi.json.
    """
    import uvicorn

    settings = settings_of(ctx)
    url = settings.db_url
    if is_throwaway_sqlite(url):
        fail("an in-memory SQLite database cannot be served: use sqlite:///FILE.db", exit_code=2)
    if url.startswith("memory") and workers > 1:
        fail("memory:// lives in one process: serve it with --workers 1", exit_code=EXIT_USAGE)
    try:
        http = HttpSettings.from_env(state_from(ctx).config)
    except (TypeError, ValueError) as exc:
        fail(f"invalid HTTP setting: {exc}", exit_code=EXIT_USAGE)
    if http.jwks_file and not Path(http.jwks_file).is_file():
        fail(f"JWKS file {http.jwks_file} does not exist", exit_code=EXIT_USAGE)
    if bool(http.oidc_issuer) != bool(http.oidc_client_id):
        fail(
            "single sign-on needs both CRMCORE_HTTP_OIDC_ISSUER and CRMCORE_HTTP_OIDC_CLIENT_ID",
            exit_code=EXIT_USAGE,
        )
    if http.jwks_file and not http.jwt_issuer:
        fail("a JWKS file needs its issuer: CRMCORE_HTTP_JWT_ISSUER", exit_code=EXIT_USAGE)
    if not _loopback(host):
        note(ctx, f"listening on {host}: put TLS in front of it (API keys travel in headers)")
    if http.shared_store and not http.shared_store.startswith(("redis://", "rediss://", "unix://")):
        fail("CRMCORE_HTTP_SHARED_STORE must be redis://host:port/db", exit_code=EXIT_USAGE)
    if workers > 1 and not http.shared_store:
        note(
            ctx,
            f"no shared store: each of the {workers} workers enforces 1/{workers} of each limit",
        )
    os.environ["CRMCORE_DB"] = url
    os.environ["CRMCORE_HTTP_WORKERS"] = str(workers)
    config_path = ctx.find_root().params.get("config_path")
    if config_path:
        os.environ["CRMCORE_CONFIG"] = str(config_path)
    uvicorn.run(
        "crmcore.app.http.serve:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
    )
