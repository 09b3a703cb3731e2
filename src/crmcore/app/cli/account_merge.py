"""``crm accounts merge`` and ``crm accounts unmerge``: two accounts that are one
organisation."""

from __future__ import annotations

from uuid import UUID

import click

from crmcore.app.cli.context import app_from, unwrap
from crmcore.app.cli.merge import show_merged, show_unmerged
from crmcore.app.dedup.account_merge import merge_accounts, unmerge_accounts
from crmcore.domain.ids import AccountId


@click.command("merge")
@click.argument("keep", type=click.UUID)
@click.argument("other", type=click.UUID)
@click.option("--reason", default="", help="Why they are one organisation (recorded).")
@click.option("--by", default=None, help="Who merged (recorded).")
@click.pass_context
def merge_cmd(ctx: click.Context, keep: UUID, other: UUID, reason: str, by: str | None) -> None:
    """Merge account OTHER into KEEP (ids): its contacts, deals, health scores and
    relationships move to KEEP, KEEP's empty fields are filled from OTHER, OTHER is
    marked merged_into KEEP. Undo with crm accounts unmerge."""
    record = unwrap(
        merge_accounts(app_from(ctx), AccountId(keep), AccountId(other), reason=reason, by=by)
    )
    show_merged(ctx, record, what="account ", undo="crm accounts unmerge")


@click.command("unmerge")
@click.argument("merge_id", type=click.UUID)
@click.option("--by", default=None, help="Who undid the merge (recorded).")
@click.pass_context
def unmerge_cmd(ctx: click.Context, merge_id: UUID, by: str | None) -> None:
    """Undo account merge MERGE_ID: both accounts and every moved row back as they were."""
    record = unwrap(unmerge_accounts(app_from(ctx), merge_id, by=by))
    show_unmerged(ctx, record, what="account ")
