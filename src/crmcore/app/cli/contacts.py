"""``crm contacts``: add, list, show, update, archive."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, fail, state_from, unwrap
from crmcore.app.cli.paging import Paging, list_rows, page_options
from crmcore.app.cli.render import render_one
from crmcore.app.cli.views import CONTACT_DETAIL_FIELDS, CONTACT_FIELDS, contact_row
from crmcore.app.sales.contacts import (
    archive_contact,
    create_contact,
    find_contacts,
    list_contacts,
    resolve_contact,
    update_contact,
)
from crmcore.domain.contact import Channel, ContactRole, LifecycleStage
from crmcore.domain.ids import AccountId, ContactId

ROLES = [r.value for r in ContactRole]
CHANNELS = [c.value for c in Channel]
LIFECYCLES = [s.value for s in LifecycleStage]


@click.group()
def contacts() -> None:
    """People we know: add, find, page through, show, update and archive them."""


@contacts.command()
@click.option("--first-name", default="", help="First name (a contact needs a first or last name).")
@click.option("--last-name", default="", help="Last name.")
@click.option("--email", default=None, help="E-mail (unique).")
@click.option("--phone", default=None, help="Phone; local numbers use the default region.")
@click.option("--user-id", default=None, help="Identity link (unique).")
@click.option("--account-id", type=click.UUID, default=None, help="Id of the contact's account.")
@click.option(
    "--role", type=click.Choice(ROLES), default=None, help="Role in the account's buying decision."
)
@click.option(
    "--preferred-channel",
    type=click.Choice(CHANNELS),
    default=None,
    help="How the contact prefers to be reached.",
)
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


#: Contact fields a narrow terminal shows first.
CONTACT_PRIORITY = ("first_name", "last_name", "email", "phone", "user_id", "lifecycle", "id")


@contacts.command("list")
@click.option(
    "--search", default=None, metavar="TEXT", help="Words in name, e-mail, phone, user id."
)
@click.option("--segment", default=None, metavar="NAME", help="Members of a saved segment.")
@click.option(
    "--lifecycle",
    type=click.Choice(LIFECYCLES),
    default=None,
    help="Only contacts at this lifecycle stage.",
)
@click.option("--owner", default=None, help="Who holds the contact's loyalty card.")
@click.option("--account", default=None, metavar="NAME", help="Contacts of the account NAME.")
@click.option(
    "--account-id", type=click.UUID, default=None, help="Contacts of the account with this id."
)
@click.option("--archived", "include_archived", is_flag=True, help="Include archived ones.")
@page_options
@click.pass_context
def list_(
    ctx: click.Context,
    search: str | None,
    segment: str | None,
    lifecycle: str | None,
    owner: str | None,
    account: str | None,
    account_id: UUID | None,
    include_archived: bool,
    page: Paging,
) -> None:
    """List contacts in creation order, a page at a time, filtered by every option given."""
    app = app_from(ctx)
    if include_archived and (search or segment or lifecycle or owner or account):
        fail("--archived lists every contact; it takes no other filter", exit_code=2)
    account_key = AccountId(account_id) if account_id else None
    total = [0]  # the number of matches, as the last search counted them

    def fetch(start: int, count: int) -> list[dict[str, Any]]:
        if include_archived:
            found = list_contacts(
                app, account_id=account_key, include_archived=True, limit=count, offset=start
            )
            return [contact_row(c) for c in unwrap(found)]
        matched = unwrap(
            find_contacts(
                app,
                search=search,
                segment=segment,
                lifecycle=lifecycle,
                owner=owner,
                account=account,
                account_id=account_key,
                limit=count,
                offset=start,
            )
        )
        total[0] = matched.total
        return [contact_row(c) for c in matched.contacts]

    list_rows(
        ctx,
        fetch,
        CONTACT_FIELDS,
        page,
        priority=CONTACT_PRIORITY,
        title="contacts",
        total=None if include_archived else lambda: total[0],
    )


@contacts.command()
@click.argument("key")
@click.pass_context
def show(ctx: click.Context, key: str) -> None:
    """Show one contact by its id, e-mail, phone or user id."""
    contact = unwrap(resolve_contact(app_from(ctx), key))
    render_one(contact_row(contact), CONTACT_DETAIL_FIELDS, state_from(ctx).fmt)


@contacts.command()
@click.argument("contact_id", type=click.UUID)
@click.option("--first-name", default=None, help="New first name.")
@click.option("--last-name", default=None, help="New last name.")
@click.option("--email", default=None, help="New e-mail (unique).")
@click.option("--phone", default=None, help="New phone; local numbers use the default region.")
@click.option(
    "--account-id", type=click.UUID, default=None, help="Move the contact to this account (id)."
)
@click.option(
    "--role", type=click.Choice(ROLES), default=None, help="New role in the buying decision."
)
@click.option(
    "--preferred-channel",
    type=click.Choice(CHANNELS),
    default=None,
    help="New preferred channel.",
)
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
