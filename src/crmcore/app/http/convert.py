"""Domain objects as response models (the CLI's records, plus ``version``)."""

from __future__ import annotations

from crmcore.app.cli.views import account_row, contact_row, deal_row, lead_row
from crmcore.app.http.models import AccountOut, ContactOut, DealOut, LeadOut, SegmentOut
from crmcore.domain.account import Account
from crmcore.domain.contact import Contact
from crmcore.domain.lead import Lead
from crmcore.domain.pipeline import Deal
from crmcore.domain.segment import Segment


def lead_out(lead: Lead) -> LeadOut:
    """A lead as the API shows it."""
    return LeadOut.model_validate({**lead_row(lead), "version": lead.version})


def contact_out(contact: Contact) -> ContactOut:
    """A contact as the API shows it."""
    return ContactOut.model_validate({**contact_row(contact), "version": contact.version})


def account_out(account: Account) -> AccountOut:
    """An account as the API shows it."""
    return AccountOut.model_validate({**account_row(account), "version": account.version})


def deal_out(deal: Deal) -> DealOut:
    """A deal as the API shows it."""
    row = {k: v for k, v in deal_row(deal).items() if k not in ("history", "external_id")}
    return DealOut.model_validate({**row, "version": deal.version})


def segment_out(segment: Segment) -> SegmentOut:
    """A saved segment as the API shows it."""
    return SegmentOut.model_validate(segment, from_attributes=True)
