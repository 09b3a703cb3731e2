"""Leads (C1) pinned: the status table against the spec's list, the sources, the refused
moves' contents, and rescoring's event only on a changed value.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from returns.result import Failure

from crmcore.domain.email import Email
from crmcore.domain.errors import IllegalTransition
from crmcore.domain.events import Changed
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import (
    LEAD_STATUS,
    Lead,
    LeadScored,
    LeadSource,
    LeadStatus,
    Qualification,
)
from crmcore.domain.names import PersonName
from tests.conftest import T0

LEAD = Lead(
    id=LeadId(UUID(int=3)),
    email=Email("a@b.co"),
    name=PersonName("A", "B"),
    created_at=T0,
    updated_at=T0,
)


def test_the_status_table_is_c1s_list() -> None:
    # new → qualified → converted; new|qualified → disqualified; disqualified → new (reopen)
    assert {(str(s), m): str(t) for (s, m), t in LEAD_STATUS.table.items()} == {
        ("new", "qualify"): "qualified",
        ("qualified", "convert"): "converted",
        ("new", "disqualify"): "disqualified",
        ("qualified", "disqualify"): "disqualified",
        ("disqualified", "reopen"): "new",
    }
    assert [LEAD_STATUS.is_terminal(s) for s in LeadStatus] == [False, False, True, False]
    assert LEAD_STATUS.name == "lead status"


def test_the_sources_are_c1s() -> None:
    assert [str(s) for s in LeadSource] == [
        "organic",
        "referral",
        "event",
        "content",
        "paid",
        "partnership",
        "import",
        "api",
    ]


def test_a_refused_move_names_the_allowed_ones() -> None:
    assert LEAD.convert(at=T0) == Failure(
        IllegalTransition(
            machine="lead status", state="new", move="convert", allowed=("qualify", "disqualify")
        )
    )


def test_qualifying_keeps_the_criteria_and_the_time() -> None:
    at = T0 + timedelta(hours=3)
    criteria = Qualification(fit="good", budget="10k", timeline="Q3")
    qualified = LEAD.qualify(criteria, at=at).unwrap().entity
    assert (qualified.status, qualified.qualification, qualified.updated_at) == (
        LeadStatus.QUALIFIED,
        criteria,
        at,
    )
    converted = qualified.convert(at=at + timedelta(days=1)).unwrap()
    assert (converted.status, converted.updated_at) == (
        LeadStatus.CONVERTED,
        at + timedelta(days=1),
    )


def test_rescoring_emits_only_on_a_changed_value() -> None:
    at = T0 + timedelta(days=1)
    assert LEAD.rescored(0, at=at) == Changed(LEAD)
    changed = LEAD.rescored(81, at=at)
    assert changed.events == (LeadScored(lead_id=LEAD.id, previous=0, score=81),)
    assert (changed.entity.score, changed.entity.updated_at) == (81, at)


@pytest.mark.parametrize(("score", "valid"), [(-1, False), (0, True), (100, True), (101, False)])
def test_a_score_is_0_to_100(score: int, valid: bool) -> None:
    if valid:
        assert (
            Lead(
                id=LEAD.id,
                email=LEAD.email,
                name=LEAD.name,
                score=score,
                created_at=T0,
                updated_at=T0,
            ).score
            == score
        )
    else:
        with pytest.raises(ValueError):
            Lead(
                id=LEAD.id,
                email=LEAD.email,
                name=LEAD.name,
                score=score,
                created_at=T0,
                updated_at=T0,
            )
