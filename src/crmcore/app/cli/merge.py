"""``crm merge`` and ``crm unmerge``: two contacts that are one person (issue 18)."""

from __future__ import annotations

from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.render import render_one
from crmcore.app.context import App
from crmcore.app.dedup.merge import merge_contacts, unmerge_contacts
from crmcore.app.sales.contacts import resolve_contact
from crmcore.domain.account_merge import AccountMergeRecord
from crmcore.domain.contact_merge import MergeRecord
from crmcore.domain.ids import ContactId


def _contact(app: App, key: str) -> ContactId:
    """An id as given (a merged-away contact too, so a merge can be repeated), else the
    contact the e-mail, user id or phone names."""
    try:
        return ContactId(UUID(key.strip()))
    except ValueError:
        return unwrap(resolve_contact(app, key)).id


@click.command("merge")
@click.argument("keep")
@click.argument("other")
@click.option("--reason", default="", help="Why they are one person (recorded).")
@click.option("--by", default=None, help="Who merged (recorded).")
@click.pass_context
def merge(ctx: click.Context, keep: str, other: str, reason: str, by: str | None) -> None:
    """Merge contact OTHER into KEEP (each an id, e-mail, user id or phone): every
    activity, deal, transaction, fact, card and review item of OTHER moves to KEEP, KEEP's
    empty fields are filled from OTHER, OTHER is archived. Undo with crm unmerge."""
    app = app_from(ctx)
    record = unwrap(
        merge_contacts(app, _contact(app, keep), _contact(app, other), reason=reason, by=by)
    )
    show_merged(ctx, record, what="", undo="crm unmerge")


@click.command("unmerge")
@click.argument("merge_id", type=click.UUID)
@click.option("--by", default=None, help="Who undid the merge (recorded).")
@click.pass_context
def unmerge(ctx: click.Context, merge_id: UUID, by: str | None) -> None:
    """Undo merge MERGE_ID: both contacts and every moved row back as they were."""
    show_unmerged(ctx, unwrap(unmerge_contacts(app_from(ctx), merge_id, by=by)), what="")


def show_merged(
    ctx: click.Context, record: MergeRecord | AccountMergeRecord, *, what: str, undo: str
) -> None:
    """What a merge did (``what``: ``"account "`` or empty) and how to undo it."""
    fmt = state_from(ctx).fmt
    if fmt == "table":
        moved = sum(len(v) for v in record.moved.values())
        click.echo(f"merged {what}{record.other_id} into {record.keep_id}: merge {record.id}")
        click.echo(f"{moved} rows moved; undo with: {undo} {record.id}")
        return
    render_one({"merge_id": record.id}, ["merge_id"], fmt)


def show_unmerged(
    ctx: click.Context, record: MergeRecord | AccountMergeRecord, *, what: str
) -> None:
    """What an undone merge gave back."""
    fmt = state_from(ctx).fmt
    if fmt == "table":
        click.echo(f"unmerged {what}{record.other_id} from {record.keep_id} (merge {record.id})")
        return
    render_one(
        {"merge_id": record.id, "keep_id": record.keep_id, "other_id": record.other_id},
        ["merge_id", "keep_id", "other_id"],
        fmt,
    )
