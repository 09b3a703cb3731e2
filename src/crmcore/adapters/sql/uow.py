"""The SQL unit of work: one database transaction per use case."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from crmcore.adapters.sql.access import SqlApiKeys, SqlIdempotency, SqlWebhookSubscriptions
from crmcore.adapters.sql.analytics import SqlAlertLog, SqlAnalytics, SqlMeasurementLog
from crmcore.adapters.sql.clv_sql import SqlClvStore
from crmcore.adapters.sql.intelligence import (
    SqlAudience,
    SqlHealthRepository,
    SqlSegmentRepository,
    SqlTransactionRepository,
)
from crmcore.adapters.sql.loyalty import SqlCardRepository, SqlLoyaltyFacts, SqlMoveLog
from crmcore.adapters.sql.marketing import (
    SqlCampaignRepository,
    SqlConsentRegistry,
    SqlDeliveryQueue,
    SqlEnrollmentRepository,
    SqlTemplateRepository,
)
from crmcore.adapters.sql.merge import (
    SqlAccountMergeLog,
    SqlAccountReferences,
    SqlContactReferences,
    SqlMergeLog,
)
from crmcore.adapters.sql.outbox import SqlOutbox, SqlProcessedMessages
from crmcore.adapters.sql.privacy import SqlPersonalData, SqlRetention
from crmcore.adapters.sql.relationships import SqlRelationshipRepository
from crmcore.adapters.sql.repositories import (
    SqlAccountRepository,
    SqlActivityRepository,
    SqlContactRepository,
    SqlDealRepository,
    SqlLeadRepository,
)
from crmcore.adapters.sql.session import SqlSession, translate
from crmcore.domain.events import DomainEvent
from crmcore.ports.system import Clock, IdSource


class SqlUnitOfWork:
    """Repositories over one connection and transaction.

    The connection is taken from the engine's pool on ``__enter__`` and returned on
    ``__exit__``; leaving without ``commit()`` rolls back. ``commit()`` stamps the recorded
    events and writes them to the outbox table in the same transaction as the state.
    ``read_only``: a unit of work for reads (over an autocommit connection on PostgreSQL,
    see ``context.read``) that refuses to write or commit.
    """

    def __init__(
        self, engine: Engine, *, clock: Clock, ids: IdSource, read_only: bool = False
    ) -> None:
        self._engine = engine
        self._read_only = read_only
        self._clock = clock
        self._ids = ids
        self._events: list[DomainEvent] = []
        self._handed = 0  # how many of the recorded events the bus has collected
        self._session: SqlSession | None = None

    @property
    def session(self) -> SqlSession:
        """The open session; only inside ``with``."""
        if self._session is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        try:
            conn = self._engine.connect()
        except DBAPIError as exc:
            raise translate(exc) from exc
        self._session = SqlSession(conn)
        s = self._session
        s.read_only = self._read_only
        self.leads = SqlLeadRepository(s)
        self.contacts = SqlContactRepository(s)
        self.accounts = SqlAccountRepository(s)
        self.deals = SqlDealRepository(s)
        self.activities = SqlActivityRepository(s)
        self.outbox = SqlOutbox(s)
        self.processed = SqlProcessedMessages(s)
        self.retention = SqlRetention(s)
        self.personal_data = SqlPersonalData(s)
        self.cards = SqlCardRepository(s)
        self.card_moves = SqlMoveLog(s)
        self.loyalty_facts = SqlLoyaltyFacts(s)
        self.transactions = SqlTransactionRepository(s, self._clock)
        self.segments = SqlSegmentRepository(s)
        self.audience = SqlAudience(s)
        self.health = SqlHealthRepository(s)
        self.clv = SqlClvStore(s)
        self.references = SqlContactReferences(s)
        self.merges = SqlMergeLog(s)
        self.account_references = SqlAccountReferences(s)
        self.account_merges = SqlAccountMergeLog(s)
        self.analytics = SqlAnalytics(s)
        self.alerts = SqlAlertLog(s)
        self.measurements = SqlMeasurementLog(s)
        self.api_keys = SqlApiKeys(s)
        self.idempotency = SqlIdempotency(s)
        self.webhooks = SqlWebhookSubscriptions(s)
        self.templates = SqlTemplateRepository(s)
        self.campaigns = SqlCampaignRepository(s)
        self.deliveries = SqlDeliveryQueue(s)
        self.consents = SqlConsentRegistry(s)
        self.enrollments = SqlEnrollmentRepository(s)
        self.relationships = SqlRelationshipRepository(s)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            session.conn.rollback()
            session.restore_checkpoints()
        except DBAPIError:
            pass
        finally:
            session.conn.close()
        self._events.clear()
        self._handed = 0

    def record(self, *events: DomainEvent) -> None:
        """Keep events to write to the outbox at commit."""
        self._events.extend(events)

    def collect_new_events(self) -> Sequence[DomainEvent]:
        """The events recorded since the last call (still written at commit)."""
        new = self._events[self._handed :]
        self._handed = len(self._events)
        return new

    def commit(self) -> None:
        """Write recorded events to the outbox, then commit the transaction."""
        session = self.session
        if self._read_only:
            raise RuntimeError("a read unit of work does not commit: use transact")
        if self._events:
            at = self._clock.now()
            ids = self._ids.new_many(len(self._events))
            self.outbox.append_recorded(ids, at, self._events)
            self._events.clear()
        self._handed = 0
        with session.translating():
            session.conn.commit()
        session.touched.clear()
        session.writing = False

    def rollback(self) -> None:
        """Discard everything since the last commit."""
        self._events.clear()
        self._handed = 0
        session = self.session
        with session.translating():
            session.conn.rollback()
        session.touched.clear()
        session.writing = False
