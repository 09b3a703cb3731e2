"""RelationshipRepository and the relationship use cases on every backend."""

from __future__ import annotations

from returns.result import Failure

from crmcore.app.context import App
from crmcore.app.dedup.merge import merge_contacts, unmerge_contacts
from crmcore.app.sales.accounts import create_account
from crmcore.app.sales.contacts import create_contact
from crmcore.app.sales.relationships import account_unit, relate, relationships_of, unrelate
from crmcore.domain.ids import ContactId


def _contact(app: App, name: str) -> ContactId:
    return create_contact(app, first_name=name, last_name="K", email=f"{name}@mail.ru").unwrap().id


def test_relationships_build_the_decision_making_unit(backend_app: App) -> None:
    acme = create_account(backend_app, name="Acme").unwrap().id
    anna, boris, vera = (_contact(backend_app, n) for n in ("anna", "boris", "vera"))
    relate(backend_app, boris, role="billing_contact", account_id=acme).unwrap()
    relate(backend_app, anna, role="champion", account_id=acme).unwrap()
    relate(backend_app, vera, role="decision_maker", account_id=acme).unwrap()
    link = relate(backend_app, anna, role="influencer", other_contact_id=vera).unwrap()
    unit = account_unit(backend_app, acme).unwrap()
    assert [(m.contact.id, m.relationship.role.value) for m in unit] == [
        (vera, "decision_maker"),
        (anna, "champion"),
        (boris, "billing_contact"),
    ]
    assert [r.id for r in relationships_of(backend_app, vera).unwrap()] == [
        unit[0].relationship.id,
        link.id,
    ]
    unrelate(backend_app, link.id).unwrap()
    assert len(relationships_of(backend_app, vera).unwrap()) == 1
    assert isinstance(unrelate(backend_app, link.id), Failure)


def test_bad_relationships_are_refused(backend_app: App) -> None:
    anna = _contact(backend_app, "anna")
    acme = create_account(backend_app, name="Acme").unwrap().id
    assert isinstance(relate(backend_app, anna, role="boss", account_id=acme), Failure)
    assert isinstance(relate(backend_app, anna, role="user"), Failure)
    assert isinstance(relate(backend_app, anna, role="user", other_contact_id=anna), Failure)


def test_a_merge_moves_relationships_and_an_unmerge_moves_them_back(backend_app: App) -> None:
    acme = create_account(backend_app, name="Acme").unwrap().id
    keep, other = _contact(backend_app, "anna"), _contact(backend_app, "anya")
    relate(backend_app, other, role="champion", account_id=acme).unwrap()
    record = merge_contacts(backend_app, keep, other).unwrap()
    assert [m.contact.id for m in account_unit(backend_app, acme).unwrap()] == [keep]
    unmerge_contacts(backend_app, record.id).unwrap()
    assert [m.contact.id for m in account_unit(backend_app, acme).unwrap()] == [other]
