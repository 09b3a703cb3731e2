"""``crm contacts relate / relations / unrelate``: relationship mapping (issue 18)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.sales.contacts import resolve_contact
from crmcore.app.sales.relationships import account_unit, relate, relationships_of, unrelate
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.relationships import RelationRole, Relationship

FIELDS = ["id", "contact_id", "role", "account_id", "other_contact_id", "note", "created_at"]


def relationship_row(r: Relationship) -> dict[str, Any]:
    """A relationship as output fields."""
    return {f: getattr(r, f) for f in FIELDS}


@click.command("relate")
@click.argument("contact")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in RelationRole]),
    help="What the contact is to the account or the other contact.",
)
@click.option("--account", "account_id", type=click.UUID, default=None, help="The account.")
@click.option("--contact", "other", default=None, help="The other contact (id, e-mail, ...).")
@click.option("--note", default="", help="Free text kept with the relationship.")
@click.pass_context
def relate_cmd(
    ctx: click.Context,
    contact: str,
    role: str,
    account_id: UUID | None,
    other: str | None,
    note: str,
) -> None:
    """Record that CONTACT plays ROLE for an account (--account) or another contact
    (--contact)."""
    app = app_from(ctx)
    who = unwrap(resolve_contact(app, contact)).id
    whom = unwrap(resolve_contact(app, other)).id if other else None
    made = unwrap(
        relate(
            app,
            who,
            role=role,
            account_id=AccountId(account_id) if account_id else None,
            other_contact_id=whom,
            note=note,
        )
    )
    render_one(relationship_row(made), FIELDS, state_from(ctx).fmt)


@click.command("relations")
@click.argument("contact")
@click.pass_context
def relations_cmd(ctx: click.Context, contact: str) -> None:
    """The relationships CONTACT is on (either side), oldest first."""
    app = app_from(ctx)
    who = unwrap(resolve_contact(app, contact)).id
    found = unwrap(relationships_of(app, ContactId(who)))
    render([relationship_row(r) for r in found], FIELDS, state_from(ctx).fmt, title="relations")


@click.command("unrelate")
@click.argument("relationship_id", type=click.UUID)
@click.pass_context
def unrelate_cmd(ctx: click.Context, relationship_id: UUID) -> None:
    """Remove a relationship."""
    gone = unwrap(unrelate(app_from(ctx), relationship_id))
    render_one(relationship_row(gone), FIELDS, state_from(ctx).fmt)


def unit_rows(ctx: click.Context, account_id: AccountId) -> list[dict[str, Any]]:
    """The account's decision-making unit as rows (role, contact, name)."""
    members = unwrap(account_unit(app_from(ctx), account_id))
    return [
        {
            "role": m.relationship.role.value,
            "contact_id": str(m.contact.id),
            "name": f"{m.contact.name.first} {m.contact.name.last}".strip(),
        }
        for m in members
    ]
