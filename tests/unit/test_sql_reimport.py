"""A re-imported contact row is skipped exactly when the merge rule would change nothing."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from crmcore.adapters.sql.mapping import contact_row
from crmcore.adapters.sql.repositories import IMPORTED_COLUMNS, _unchanged
from crmcore.domain.contact import Contact, NewContact, contact_from_new
from crmcore.domain.merge import OWNED, merge_import
from tests.strategies import contact_entities


def _new_from(contact: Contact, keep: Any) -> NewContact:
    """The import row of ``contact``, each optional value kept or left empty."""

    def maybe(value: Any) -> Any:
        return value if keep.draw(st.booleans()) else None

    return NewContact(
        id=contact.id,
        first_name=contact.name.first,
        last_name=contact.name.last,
        email=maybe(contact.email.value if contact.email else None),
        phone=maybe(contact.phone.e164 if contact.phone else None),
        user_id=maybe(contact.user_id),
        account_id=None,
        role=maybe(contact.role),
        preferred_channel=maybe(contact.preferred_channel),
        attributes=contact.attributes if keep.draw(st.booleans()) else {},
    )


def test_every_field_the_merge_rule_reads_is_compared() -> None:
    merged = {f.name for f in attrs.fields(Contact)} - OWNED[Contact]
    assert merged - {"name"} | {"first_name", "last_name"} == set(IMPORTED_COLUMNS)


@given(stored=contact_entities(), other=contact_entities(), same=st.booleans(), keep=st.data())
def test_unchanged_is_what_the_merge_rule_says(
    stored: Contact, other: Contact, same: bool, keep: Any
) -> None:
    incoming = attrs.evolve(other, id=stored.id) if not same else stored
    new = _new_from(incoming, keep)
    merged = merge_import(stored, contact_from_new(new, at=stored.updated_at))
    assert _unchanged(contact_row(stored), new) == (merged is None)
