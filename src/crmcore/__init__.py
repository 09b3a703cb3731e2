"""crmcore: a CRM domain core — leads to advocates, as a library, a CLI and contracts.

The public API: build an application with :func:`bootstrap`, then call use cases with it.
Every use case returns ``returns.result.Result[value, AppError]``.

The names load on first use (PEP 562), so ``import crmcore`` and ``crm --version`` stay
cheap: nothing below is imported until a caller asks for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from crmcore._version import __version__

if TYPE_CHECKING:
    from crmcore.app.bootstrap import bootstrap
    from crmcore.app.context import App, Settings
    from crmcore.app.errors import AppError, Conflict, DuplicateLead, NotFound, StorageFailure
    from crmcore.app.events.outbox import (
        RelayReport,
        RelayRetryPolicy,
        consume,
        outbox_status,
        relay_outbox,
        relay_until_idle,
        retry_dead_letters,
    )
    from crmcore.app.loyalty.board import (
        board_view,
        open_card,
        override_card,
        place_all,
        record_facts,
        release_card,
        take_card,
    )
    from crmcore.app.privacy import (
        ErasureReport,
        PurgeReport,
        erase_person,
        export_person,
        purge_retention,
    )
    from crmcore.app.sales.activities import complete_task, log_activity, overdue_tasks
    from crmcore.app.sales.deals import (
        StageSummary,
        create_deal,
        deals_board,
        get_deal,
        list_deals,
        lose_deal,
        move_deal,
        pipeline_summary,
        slipping_deals,
        win_deal,
    )
    from crmcore.app.sales.leads import (
        Conversion,
        capture_lead,
        convert_lead,
        disqualify_lead,
        get_lead,
        list_leads,
        qualify_lead,
        reopen_lead,
    )
    from crmcore.domain.errors import FieldError, IllegalTransition, InvalidInput, RuleViolation

#: Public name → the module that defines it.
_PUBLIC: dict[str, str] = {
    "App": "crmcore.app.context",
    "AppError": "crmcore.app.errors",
    "Conflict": "crmcore.app.errors",
    "Conversion": "crmcore.app.sales.leads",
    "DuplicateLead": "crmcore.app.errors",
    "ErasureReport": "crmcore.app.privacy",
    "FieldError": "crmcore.domain.errors",
    "IllegalTransition": "crmcore.domain.errors",
    "InvalidInput": "crmcore.domain.errors",
    "NotFound": "crmcore.app.errors",
    "PurgeReport": "crmcore.app.privacy",
    "RelayReport": "crmcore.app.events.outbox",
    "RelayRetryPolicy": "crmcore.app.events.outbox",
    "RuleViolation": "crmcore.domain.errors",
    "Settings": "crmcore.app.context",
    "StageSummary": "crmcore.app.sales.deals",
    "StorageFailure": "crmcore.app.errors",
    "board_view": "crmcore.app.loyalty.board",
    "bootstrap": "crmcore.app.bootstrap",
    "capture_lead": "crmcore.app.sales.leads",
    "complete_task": "crmcore.app.sales.activities",
    "consume": "crmcore.app.events.outbox",
    "convert_lead": "crmcore.app.sales.leads",
    "create_deal": "crmcore.app.sales.deals",
    "disqualify_lead": "crmcore.app.sales.leads",
    "erase_person": "crmcore.app.privacy",
    "export_person": "crmcore.app.privacy",
    "get_deal": "crmcore.app.sales.deals",
    "get_lead": "crmcore.app.sales.leads",
    "list_deals": "crmcore.app.sales.deals",
    "list_leads": "crmcore.app.sales.leads",
    "log_activity": "crmcore.app.sales.activities",
    "lose_deal": "crmcore.app.sales.deals",
    "move_deal": "crmcore.app.sales.deals",
    "open_card": "crmcore.app.loyalty.board",
    "outbox_status": "crmcore.app.events.outbox",
    "overdue_tasks": "crmcore.app.sales.activities",
    "override_card": "crmcore.app.loyalty.board",
    "pipeline_summary": "crmcore.app.sales.deals",
    "deals_board": "crmcore.app.sales.deals",
    "place_all": "crmcore.app.loyalty.board",
    "purge_retention": "crmcore.app.privacy",
    "qualify_lead": "crmcore.app.sales.leads",
    "record_facts": "crmcore.app.loyalty.board",
    "relay_outbox": "crmcore.app.events.outbox",
    "relay_until_idle": "crmcore.app.events.outbox",
    "release_card": "crmcore.app.loyalty.board",
    "reopen_lead": "crmcore.app.sales.leads",
    "retry_dead_letters": "crmcore.app.events.outbox",
    "slipping_deals": "crmcore.app.sales.deals",
    "take_card": "crmcore.app.loyalty.board",
    "win_deal": "crmcore.app.sales.deals",
}


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first access (PEP 562)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "App",
    "AppError",
    "Conflict",
    "Conversion",
    "DuplicateLead",
    "ErasureReport",
    "FieldError",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "PurgeReport",
    "RelayReport",
    "RelayRetryPolicy",
    "RuleViolation",
    "Settings",
    "StageSummary",
    "StorageFailure",
    "__version__",
    "board_view",
    "bootstrap",
    "capture_lead",
    "complete_task",
    "consume",
    "convert_lead",
    "create_deal",
    "deals_board",
    "disqualify_lead",
    "erase_person",
    "export_person",
    "get_deal",
    "get_lead",
    "list_deals",
    "list_leads",
    "log_activity",
    "lose_deal",
    "move_deal",
    "open_card",
    "outbox_status",
    "overdue_tasks",
    "override_card",
    "pipeline_summary",
    "place_all",
    "purge_retention",
    "qualify_lead",
    "record_facts",
    "relay_outbox",
    "relay_until_idle",
    "release_card",
    "reopen_lead",
    "retry_dead_letters",
    "slipping_deals",
    "take_card",
    "win_deal",
]
