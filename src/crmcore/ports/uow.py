"""The unit of work: one transaction per use case."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from crmcore.domain.events import DomainEvent
from crmcore.ports.access import ApiKeyRepository, IdempotencyStore, WebhookSubscriptions
from crmcore.ports.alerts import AlertLog
from crmcore.ports.analytics import AnalyticsQueries
from crmcore.ports.clv import ClvStore
from crmcore.ports.events import Outbox, ProcessedMessages
from crmcore.ports.intelligence import (
    Audience,
    HealthRepository,
    SegmentRepository,
    TransactionRepository,
)
from crmcore.ports.loyalty import CardRepository, LoyaltyFacts, MoveLog
from crmcore.ports.marketing import (
    CampaignRepository,
    ConsentRegistry,
    DeliveryQueue,
    EnrollmentRepository,
    TemplateRepository,
)
from crmcore.ports.merge import AccountMergeLog, AccountReferences, ContactReferences, MergeLog
from crmcore.ports.privacy import PersonalData, Retention
from crmcore.ports.relationships import RelationshipRepository
from crmcore.ports.repositories import (
    AccountRepository,
    ActivityRepository,
    ContactRepository,
    DealRepository,
    LeadRepository,
)


class UnitOfWork(Protocol):
    """Repositories sharing one transaction, plus the events recorded in it.

    Leaving the ``with`` block without ``commit()`` rolls everything back. ``commit``
    writes the recorded events to the outbox in the same transaction.
    """

    @property
    def leads(self) -> LeadRepository: ...
    @property
    def contacts(self) -> ContactRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def deals(self) -> DealRepository: ...
    @property
    def activities(self) -> ActivityRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def transactions(self) -> TransactionRepository: ...
    @property
    def segments(self) -> SegmentRepository: ...
    @property
    def audience(self) -> Audience: ...
    @property
    def health(self) -> HealthRepository: ...
    @property
    def cards(self) -> CardRepository: ...
    @property
    def card_moves(self) -> MoveLog: ...
    @property
    def loyalty_facts(self) -> LoyaltyFacts: ...
    @property
    def processed(self) -> ProcessedMessages: ...
    @property
    def retention(self) -> Retention: ...
    @property
    def personal_data(self) -> PersonalData: ...
    @property
    def clv(self) -> ClvStore: ...
    @property
    def references(self) -> ContactReferences: ...
    @property
    def merges(self) -> MergeLog: ...
    @property
    def account_references(self) -> AccountReferences: ...
    @property
    def account_merges(self) -> AccountMergeLog: ...
    @property
    def analytics(self) -> AnalyticsQueries: ...
    @property
    def alerts(self) -> AlertLog: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def webhooks(self) -> WebhookSubscriptions: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def campaigns(self) -> CampaignRepository: ...
    @property
    def deliveries(self) -> DeliveryQueue: ...
    @property
    def consents(self) -> ConsentRegistry: ...
    @property
    def enrollments(self) -> EnrollmentRepository: ...
    @property
    def relationships(self) -> RelationshipRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def record(self, *events: DomainEvent) -> None: ...
    def collect_new_events(self) -> Sequence[DomainEvent]:
        """The events recorded since the last call (they still go to the outbox at
        commit): what the message bus hands to the handlers."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
