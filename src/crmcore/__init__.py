"""crmcore: a CRM domain core — leads to advocates, as a library, a CLI and contracts.

The public API: build an application with :func:`bootstrap`, then call use cases with it.
Every use case returns ``returns.result.Result[value, AppError]``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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

try:
    __version__ = version("crmcore")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

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
