"""A batched lead import through the library, run as a subprocess by the crash test.

    python -m tests.e2e.crash_import URL TOTAL BATCH

Each batch is one unit of work: ``upsert_many`` plus one ``crm.lead.created`` event per
created lead, committed together. Prints ``committed <n>`` after each batch.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from crmcore import Settings, bootstrap
from crmcore.adapters.system import FixedClock, Uuid7Source
from crmcore.domain.email import Email
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead, LeadCreated, LeadSource
from crmcore.domain.names import PersonName

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def run(url: str, total: int, batch: int) -> None:
    app = bootstrap(Settings(db_url=url), clock=FixedClock(T0), ids=Uuid7Source())
    for start in range(0, total, batch):
        leads = [
            Lead(
                id=LeadId(app.ids.new()),
                email=Email(f"import{i}@example.com"),
                name=PersonName(f"Name{i}", "Imported"),
                source=LeadSource.IMPORT,
                created_at=T0,
                updated_at=T0,
            )
            for i in range(start, min(total, start + batch))
        ]
        with app.uow() as uow:
            counts = uow.leads.upsert_many(leads)
            if counts.created not in (0, len(leads)):
                raise RuntimeError(f"a batch was half stored before: {counts}")
            if counts.created:
                uow.record(
                    *(
                        LeadCreated(lead_id=x.id, email=x.email.value, source=x.source)
                        for x in leads
                    )
                )
            uow.commit()
        print(f"committed {start + len(leads)}", flush=True)


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
