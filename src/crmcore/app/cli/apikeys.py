"""``crm apikeys``: create (the key is printed once), list and revoke HTTP API keys."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click

from crmcore.app.access.apikeys import create_api_key, list_api_keys, revoke_api_key
from crmcore.app.cli.context import app_from, note, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.cli.views import record
from crmcore.domain.access import ApiKey, Scope

KEY_FIELDS = ("id", "name", "scope", "prefix", "created_at", "revoked_at")


def _row(key: ApiKey) -> dict[str, Any]:
    return record(key, KEY_FIELDS, scope=key.scope.value)


@click.group("apikeys")
def apikeys() -> None:
    """Keys of the HTTP API (crm serve): only a hash of each key is stored."""


@apikeys.command("create")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in Scope]),
    required=True,
    help="read: GET only; write: also POST/PUT; admin: also webhooks and keys.",
)
@click.pass_context
def create(ctx: click.Context, name: str, scope: str) -> None:
    """Create a key NAME and print it: this is the only time it is shown."""
    made = unwrap(create_api_key(app_from(ctx), name=name, scope=scope))
    fmt = state_from(ctx).fmt
    row = {**_row(made.key), "key": made.token}
    render_one(row, ("key", *KEY_FIELDS), fmt)
    if fmt == "table":
        note(ctx, "store the key now: it cannot be shown again (only its hash is kept)")


@apikeys.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every key with its scope and whether it was revoked (never the key itself)."""
    keys = unwrap(list_api_keys(app_from(ctx)))
    render([_row(k) for k in keys], KEY_FIELDS, state_from(ctx).fmt, title="api keys")


@apikeys.command("revoke")
@click.argument("key_id", type=click.UUID)
@click.pass_context
def revoke(ctx: click.Context, key_id: UUID) -> None:
    """Revoke the key KEY_ID (from `crm apikeys list`): it is refused from now on."""
    key = unwrap(revoke_api_key(app_from(ctx), key_id))
    _forget_in_servers(ctx, key)
    render_one(_row(key), KEY_FIELDS, state_from(ctx).fmt)


def _forget_in_servers(ctx: click.Context, key: ApiKey) -> None:
    """Drop the key from the servers' shared cache of verified keys (when they share one),
    so every worker refuses it at once instead of after the cache's few seconds."""
    from crmcore.app.bootstrap import shared_http_limits
    from crmcore.app.http.settings import HttpSettings

    try:
        http = HttpSettings.from_env(state_from(ctx).config)
    except (TypeError, ValueError):
        return
    if not http.shared_store:
        return
    try:
        _keys, _forms, verified = shared_http_limits(
            http.shared_store,
            key_rate=http.key_rate,
            key_burst=http.key_burst,
            form_rate=1.0,
            form_burst=1,
            ttl=max(http.key_cache_seconds, 0.001),
            prefix=http.shared_prefix,
        )
    except ValueError:
        return
    verified.forget(key.key_hash)
    note(ctx, "dropped from the servers' shared key cache")
