"""``crm contacts``: add, list, show, update, archive."""

from __future__ import annotations

from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.cli.views import CONTACT_DETAIL_FIELDS, CONTACT_FIELDS, contact_row
from crmcore.app.sales.contacts import (
    archive_contact,
    create_contact,
    get_contact,
    list_contacts,
    update_contact,
)
from crmcore.domain.contact import Channel, ContactRole
from crmcore.domain.ids import AccountId, ContactId

ROLES = [r.value for r in ContactRole]
CHANNELS = [c.value for c in Channel]


@click.group()
def contacts() -> None:
    """Contacts: people we know."""


@contacts.command()
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--email", default=None, help="E-mail (unique).")
@click.option("--phone", default=None, help="Phone; local numbers use the default region.")
@click.option("--user-id", default=None, help="Identity link (unique).")
@click.option("--account-id", type=click.UUID, default=None)
@click.option("--role", type=click.Choice(ROLES), default=None)
@click.option("--preferred-channel", type=click.Choice(CHANNELS), default=None)
@click.pass_context
def add(
    ctx: click.Context,
    first_name: str,
    last_name: str,
    email: str | None,
    phone: str | None,
    user_id: str | None,
    account_id: UUID | None,
    role: str | None,
    preferred_channel: str | None,
) -> None:
    """Add a contact."""
    contact = unwrap(
        create_contact(
            app_from(ctx),
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            user_id=user_id,
            account_id=AccountId(account_id) if account_id else None,
            role=role,
            preferred_channel=preferred_channel,
        )
    )
    render_one(contact_row(contact), CONTACT_FIELDS, state_from(ctx).fmt)


@contacts.command("list")
@click.option("--account-id", type=click.UUID, default=None)
@click.option("--archived", "include_archived", is_flag=True, help="Include archived ones.")
@click.option("--limit", type=click.IntRange(min=0), default=None)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.pass_context
def list_(
    ctx: click.Context,
    account_id: UUID | None,
    include_archived: bool,
    limit: int | None,
    offset: int,
) -> None:
    """List contacts in creation order."""
    rows = unwrap(
        list_contacts(
            app_from(ctx),
            account_id=AccountId(account_id) if account_id else None,
            include_archived=include_archived,
            limit=limit,
            offset=offset,
        )
    )
    render([contact_row(c) for c in rows], CONTACT_FIELDS, state_from(ctx).fmt, title="contacts")


@contacts.command()
@click.argument("contact_id", type=click.UUID)
@click.pass_context
def show(ctx: click.Context, contact_id: UUID) -> None:
    """Show one contact."""
    contact = unwrap(get_contact(app_from(ctx), ContactId(contact_id)))
    render_one(contact_row(contact), CONTACT_DETAIL_FIELDS, state_from(ctx).fmt)


@contacts.command()
@click.argument("contact_id", type=click.UUID)
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@click.option("--email", default=None)
@click.option("--phone", default=None)
@click.option("--account-id", type=click.UUID, default=None)
@click.option("--role", type=click.Choice(ROLES), default=None)
@click.option("--preferred-channel", type=click.Choice(CHANNELS), default=None)
@click.pass_context
def update(
    ctx: click.Context,
    contact_id: UUID,
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    phone: str | None,
    account_id: UUID | None,
    role: str | None,
    preferred_channel: str | None,
) -> None:
    """Change the given fields of a contact."""
    contact = unwrap(
        update_contact(
            app_from(ctx),
            ContactId(contact_id),
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            account_id=AccountId(account_id) if account_id else None,
            role=role,
            preferred_channel=preferred_channel,
        )
    )
    render_one(contact_row(contact), CONTACT_FIELDS, state_from(ctx).fmt)


@contacts.command()
@click.argument("contact_id", type=click.UUID)
@click.pass_context
def archive(ctx: click.Context, contact_id: UUID) -> None:
    """Archive (soft-delete) a contact."""
    contact = unwrap(archive_contact(app_from(ctx), ContactId(contact_id)))
    render_one(contact_row(contact), CONTACT_FIELDS, state_from(ctx).fmt)
