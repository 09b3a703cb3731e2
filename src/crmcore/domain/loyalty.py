"""The loyalty ladder as a kanban board.

Ordered levels are columns; a card is a customer (or account). A level's exit metric is a
condition over the customer's facts: when it holds, the card moves right, as far as the
metrics allow. Cards move left only by an operator's override with a reason. A card is
*active* while a team member holds it; the number of active cards per column is capped
(the WIP limit). Moving a card releases it: the work on that column is done.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError, InvalidInput, RuleViolation
from crmcore.domain.events import Changed, DomainEvent, event_type
from crmcore.domain.loyalty_metrics import CustomerFacts, ExitMetric, parse_metric

#: A card's id is the id of the customer it stands for (a contact or an account).
CardId = NewType("CardId", UUID)

DEFAULT_WIP_LIMIT = 10  # design choice: the source gives no number
DEFAULT_TARGET = 100  # the source: at least 100 customers at every level


class CustomerKind(StrEnum):
    """What a card stands for."""

    CONTACT = "contact"
    ACCOUNT = "account"


class MoveCause(StrEnum):
    """Why a card moved."""

    FACTS = "facts"
    PLACEMENT = "placement"
    OVERRIDE = "override"


# --------------------------------------------------------------------------- configuration


@attrs.frozen(kw_only=True)
class Level:
    """One column: its key, display name, exit metric (``None`` at the top) and limits."""

    key: str
    name: str
    exit: ExitMetric | None
    wip_limit: int = DEFAULT_WIP_LIMIT
    target: int = DEFAULT_TARGET
    playbook: str = ""


@attrs.frozen(kw_only=True)
class BoardConfig:
    """The ordered levels of the ladder."""

    levels: tuple[Level, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """Level keys, left to right."""
        return tuple(level.key for level in self.levels)

    @property
    def first(self) -> Level:
        """The leftmost level, where new cards start."""
        return self.levels[0]

    def index(self, key: str) -> int:
        """The position of a level (0-based); ``ValueError`` for an unknown key."""
        return self.keys.index(key)

    def level(self, key: str) -> Level:
        """The level with this key."""
        return self.levels[self.index(key)]

    def has(self, key: str) -> bool:
        """True when ``key`` names a level."""
        return key in self.keys


_LEVEL_KEYS = {"key", "name", "exit", "wip_limit", "target", "playbook"}
_BOARD_KEYS = {"wip_limit", "target"}


def parse_board(data: Mapping[str, Any]) -> Result[BoardConfig, InvalidInput]:
    """Build a board from its TOML/JSON form; every error names the level and the field.

    ``[board]`` may give default ``wip_limit`` and ``target``; ``[[levels]]`` lists the
    columns in order, each with ``key``, ``name``, ``exit`` (absent on the last level
    only), and optionally ``wip_limit``, ``target`` and ``playbook``.
    """
    errors: list[FieldError] = []
    for key in sorted(set(data) - {"board", "levels"}):
        errors.append(FieldError(field=key, value="", reason="unknown section; use board, levels"))
    board = data.get("board", {})
    if not isinstance(board, Mapping):
        errors.append(FieldError(field="board", value=str(board), reason="must be a table"))
        board = {}
    for key in sorted(set(board) - _BOARD_KEYS):
        errors.append(
            FieldError(field=f"board.{key}", value="", reason="unknown key; use wip_limit, target")
        )
    wip_default = _positive(board, "wip_limit", "board", DEFAULT_WIP_LIMIT, errors)
    target_default = _positive(board, "target", "board", DEFAULT_TARGET, errors)
    raw_levels = data.get("levels")
    if not isinstance(raw_levels, list) or len(raw_levels) < 2:
        errors.append(
            FieldError(
                field="levels", value=str(raw_levels), reason="must list at least two [[levels]]"
            )
        )
        return Failure(InvalidInput(errors=tuple(errors)))
    levels: list[Level] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_levels):
        level = _parse_level(
            raw,
            i,
            last=i == len(raw_levels) - 1,
            seen=seen,
            errors=errors,
            wip_default=wip_default,
            target_default=target_default,
        )
        if level is not None:
            levels.append(level)
    if errors:
        return Failure(InvalidInput(errors=tuple(errors)))
    return Success(BoardConfig(levels=tuple(levels)))


def _parse_level(
    raw: object,
    i: int,
    *,
    last: bool,
    seen: set[str],
    errors: list[FieldError],
    wip_default: int,
    target_default: int,
) -> Level | None:
    where = f"levels[{i + 1}]"
    if not isinstance(raw, Mapping):
        errors.append(FieldError(field=where, value=str(raw), reason="must be a table"))
        return None
    key = raw.get("key")
    if isinstance(key, str) and key.strip():
        where = f"{where} {key}"
    before = len(errors)
    for extra in sorted(set(raw) - _LEVEL_KEYS):
        known = ", ".join(sorted(_LEVEL_KEYS))
        errors.append(
            FieldError(field=f"{where}.{extra}", value="", reason=f"unknown key; use {known}")
        )
    if not isinstance(key, str) or not key.strip() or not key.replace("_", "").isalnum():
        errors.append(
            FieldError(field=f"{where}.key", value=str(key), reason="required: letters, digits, _")
        )
    elif key in seen:
        errors.append(FieldError(field=f"{where}.key", value=key, reason="duplicate level key"))
    else:
        seen.add(key)
    name = raw.get("name", key)
    if not isinstance(name, str) or not name.strip():
        errors.append(FieldError(field=f"{where}.name", value=str(name), reason="must be text"))
    playbook = raw.get("playbook", "")
    if not isinstance(playbook, str):
        errors.append(
            FieldError(field=f"{where}.playbook", value=str(playbook), reason="must be text")
        )
    wip = _positive(raw, "wip_limit", where, wip_default, errors)
    target = _positive(raw, "target", where, target_default, errors)
    metric: ExitMetric | None = None
    if last:
        if "exit" in raw:
            errors.append(
                FieldError(field=f"{where}.exit", value="", reason="the top level has no exit")
            )
    elif "exit" not in raw:
        errors.append(
            FieldError(
                field=f"{where}.exit", value="", reason="required on every level but the top"
            )
        )
    else:
        parsed = parse_metric(raw["exit"], where=f"{where}.exit")
        if isinstance(parsed, Failure):
            errors.extend(parsed.failure())
        else:
            metric = parsed.unwrap()
    if len(errors) > before:
        return None
    assert isinstance(key, str)
    assert isinstance(name, str)
    assert isinstance(playbook, str)
    return Level(
        key=key,
        name=name.strip(),
        exit=metric,
        wip_limit=wip,
        target=target,
        playbook=playbook.strip(),
    )


def _positive(
    table: Mapping[str, Any], key: str, where: str, default: int, errors: list[FieldError]
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        errors.append(
            FieldError(
                field=f"{where}.{key}", value=str(value), reason="must be a whole number >= 1"
            )
        )
        return default
    return value


# --------------------------------------------------------------------------- cards


@attrs.frozen(kw_only=True)
class Card:
    """A customer on the board: who, how to reach them, where they are, who works on them."""

    id: CardId
    name: str
    contact: str = ""
    kind: CustomerKind = CustomerKind.CONTACT
    first_interaction: date
    level: str
    entered_at: datetime
    holder: str | None = None
    taken_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @property
    def is_active(self) -> bool:
        """True while a team member holds the card."""
        return self.holder is not None


@attrs.frozen(kw_only=True)
class Move:
    """One entry of the movement log."""

    id: UUID
    card_id: CardId
    from_level: str
    to_level: str
    at: datetime
    cause: str
    override_reason: str | None = None


@event_type("crm.loyalty.card_moved")
@attrs.frozen(kw_only=True)
class CardMoved(DomainEvent):
    """A card changed column; ``cause`` is facts, placement or override."""

    card_id: CardId
    from_level: str
    to_level: str
    cause: str
    override_reason: str | None = None


@event_type("crm.loyalty.card_taken")
@attrs.frozen(kw_only=True)
class CardTaken(DomainEvent):
    """A team member took a card to work on it (it counts against the WIP limit)."""

    card_id: CardId
    level: str
    owner: str


@event_type("crm.loyalty.card_released")
@attrs.frozen(kw_only=True)
class CardReleased(DomainEvent):
    """A card stopped being active: released by hand, or because it moved."""

    card_id: CardId
    level: str
    owner: str
    reason: str


def new_card(
    *,
    id: CardId,
    name: str,
    first_interaction: date,
    config: BoardConfig,
    at: datetime,
    contact: str = "",
    kind: CustomerKind = CustomerKind.CONTACT,
) -> Card:
    """A card entering the board in the first column."""
    return Card(
        id=id,
        name=name.strip(),
        contact=contact.strip(),
        kind=kind,
        first_interaction=first_interaction,
        level=config.first.key,
        entered_at=at,
        created_at=at,
        updated_at=at,
    )


def reachable(facts: CustomerFacts, config: BoardConfig, *, now: datetime, start: int = 0) -> int:
    """The index of the rightmost level reached from ``start`` while exit metrics hold at
    ``now`` (relative periods such as ``"90 days ago"`` resolve against it)."""
    i = start
    while i < len(config.levels) - 1:
        metric = config.levels[i].exit
        if metric is None or not metric.holds(facts, now=now):
            break
        i += 1
    return i


def place(facts: CustomerFacts, config: BoardConfig, *, now: datetime) -> str:
    """The highest level whose earlier exit metrics all hold at ``now``."""
    return config.levels[reachable(facts, config, now=now)].key


def _move(
    card: Card,
    to: str,
    *,
    at: datetime,
    cause: str,
    reason: str | None = None,
    entered_at: datetime | None = None,
) -> Changed[Card]:
    events: list[DomainEvent] = [
        CardMoved(
            card_id=card.id, from_level=card.level, to_level=to, cause=cause, override_reason=reason
        )
    ]
    if card.holder is not None:
        events.append(
            CardReleased(card_id=card.id, level=card.level, owner=card.holder, reason="moved")
        )
    moved = attrs.evolve(
        card, level=to, entered_at=entered_at or at, holder=None, taken_at=None, updated_at=at
    )
    return Changed(moved, tuple(events))


def advance(
    card: Card,
    facts: CustomerFacts,
    config: BoardConfig,
    *,
    at: datetime,
    cause: str = "facts",
    entered_at: datetime | None = None,
) -> Changed[Card]:
    """Move the card right as far as the exit metrics from its column allow (one move).

    A card whose column is no longer configured stays where it is. ``entered_at`` (default
    ``at``) is when the card is taken to have entered its new column.
    """
    if not config.has(card.level):
        return Changed(card)
    start = config.index(card.level)
    end = reachable(facts, config, now=at, start=start)
    if end == start:
        return Changed(card)
    return _move(card, config.levels[end].key, at=at, cause=cause, entered_at=entered_at)


def last_fact_at(facts: CustomerFacts, *, at: datetime) -> datetime:
    """When the customer last did something the facts date (last purchase, else first
    interaction), at midnight in ``at``'s zone; ``at`` when that is later or unknown."""
    day = facts.last_purchase or facts.first_interaction
    if day is None:
        return at
    return min(at, datetime(day.year, day.month, day.day, tzinfo=at.tzinfo))


def place_card(
    card: Card, facts: CustomerFacts, config: BoardConfig, *, at: datetime
) -> Changed[Card]:
    """Placement of an existing base: up to the level the facts support, never left.

    A placed card entered its column when the customer last did something the facts date
    (:func:`last_fact_at`), not when the import ran: the stuck report then shows real waits.
    """
    entered = last_fact_at(facts, at=at)
    if config.has(card.level):
        # From a column left of ``place(facts)`` every exit metric up to it holds, so
        # advancing reaches exactly that level; from further right it only goes further.
        return advance(card, facts, config, at=at, cause=MoveCause.PLACEMENT, entered_at=entered)
    return _move(
        card, place(facts, config, now=at), at=at, cause=MoveCause.PLACEMENT, entered_at=entered
    )


def override_move(
    card: Card, to: str, config: BoardConfig, *, at: datetime, reason: str
) -> Result[Changed[Card], RuleViolation]:
    """An operator moves a card to any column (left too); a reason is required."""
    if not reason.strip():
        return Failure(RuleViolation(rule="override reason", detail="an override needs a reason"))
    if not config.has(to):
        return Failure(
            RuleViolation(
                rule="unknown level", detail=f"{to!r}; levels are {', '.join(config.keys)}"
            )
        )
    if to == card.level:
        return Failure(RuleViolation(rule="override", detail=f"the card is already in {to}"))
    return Success(_move(card, to, at=at, cause=MoveCause.OVERRIDE, reason=reason.strip()))


def take(
    card: Card, owner: str, active: Sequence[Card], config: BoardConfig, *, at: datetime
) -> Result[Changed[Card], RuleViolation]:
    """Make the card active for ``owner``; refused beyond the column's WIP limit.

    ``active`` are the cards currently held in the card's column.
    """
    owner = owner.strip()
    if not owner:
        return Failure(RuleViolation(rule="owner", detail="taking a card needs an owner"))
    if card.holder == owner:
        return Success(Changed(card))
    if card.holder is not None:
        return Failure(
            RuleViolation(rule="card taken", detail=f"{card.name} is held by {card.holder}")
        )
    limit = config.level(card.level).wip_limit if config.has(card.level) else 0
    others = [c for c in active if c.id != card.id and c.level == card.level and c.is_active]
    if len(others) >= limit:
        holders = ", ".join(f"{c.holder} ({c.name})" for c in sorted(others, key=_by_holder))
        return Failure(
            RuleViolation(
                rule="WIP limit",
                detail=f"column {card.level} allows {limit} active cards; held by: {holders}",
            )
        )
    taken = attrs.evolve(card, holder=owner, taken_at=at, updated_at=at)
    return Success(Changed(taken, (CardTaken(card_id=card.id, level=card.level, owner=owner),)))


def _by_holder(card: Card) -> tuple[str, str]:
    return (card.holder or "", card.name)


def release(card: Card, *, at: datetime) -> Result[Changed[Card], RuleViolation]:
    """Make the card inactive again."""
    if card.holder is None:
        return Failure(RuleViolation(rule="release", detail=f"{card.name} is not taken"))
    released = attrs.evolve(card, holder=None, taken_at=None, updated_at=at)
    event = CardReleased(card_id=card.id, level=card.level, owner=card.holder, reason="released")
    return Success(Changed(released, (event,)))


def move_records(
    events: Iterable[DomainEvent], *, at: datetime, new_id: Callable[[], UUID]
) -> list[Move]:
    """The movement-log entries of the ``CardMoved`` events of a change."""
    return [
        Move(
            id=new_id(),
            card_id=e.card_id,
            from_level=e.from_level,
            to_level=e.to_level,
            at=at,
            cause=e.cause,
            override_reason=e.override_reason,
        )
        for e in events
        if isinstance(e, CardMoved)
    ]


# --------------------------------------------------------------------------- reports


@attrs.frozen(kw_only=True)
class Column:
    """One column of the board view."""

    key: str
    name: str
    cards: int
    active: int
    wip_limit: int
    holders: tuple[str, ...]
    target: int
    revenue: Decimal
    exit: str

    @property
    def progress(self) -> float:
        """Cards relative to the target, capped at 1."""
        return min(1.0, self.cards / self.target)


def board_columns(
    cards: Iterable[Card], facts: Mapping[CardId, CustomerFacts], config: BoardConfig
) -> list[Column]:
    """Counts, WIP use, target progress and revenue per column, left to right."""
    count = dict.fromkeys(config.keys, 0)
    holders: dict[str, list[str]] = {k: [] for k in config.keys}
    revenue = dict.fromkeys(config.keys, Decimal(0))
    for card in cards:
        if card.level not in count:
            continue
        count[card.level] += 1
        if card.holder is not None:
            holders[card.level].append(card.holder)
        known = facts.get(card.id)
        if known is not None:
            revenue[card.level] += known.revenue
    return [
        Column(
            key=lv.key,
            name=lv.name,
            cards=count[lv.key],
            active=len(holders[lv.key]),
            wip_limit=lv.wip_limit,
            holders=tuple(sorted(holders[lv.key])),
            target=lv.target,
            revenue=revenue[lv.key],
            exit=lv.exit.describe() if lv.exit is not None else "",
        )
        for lv in config.levels
    ]


@attrs.frozen(kw_only=True)
class Stuck:
    """How many cards wait at one transition, for how long, and what to do about it."""

    from_level: str
    to_level: str
    waiting: int
    median_days: float | None
    p90_days: float | None
    exit: str
    playbook: str


def _p90(days: Sequence[float]) -> float:
    if len(days) == 1:
        return days[0]
    return statistics.quantiles(days, n=10, method="inclusive")[8]


def stuck_report(cards: Iterable[Card], config: BoardConfig, *, now: datetime) -> list[Stuck]:
    """Per transition: cards waiting in its column, median and p90 wait in days, playbook."""
    waits: dict[str, list[float]] = {k: [] for k in config.keys}
    for card in cards:
        if card.level in waits:
            waits[card.level].append(max(0.0, (now - card.entered_at).total_seconds() / 86400))
    rows = []
    for lv, nxt in zip(config.levels, config.levels[1:], strict=False):
        days = sorted(waits[lv.key])
        rows.append(
            Stuck(
                from_level=lv.key,
                to_level=nxt.key,
                waiting=len(days),
                median_days=statistics.median(days) if days else None,
                p90_days=_p90(days) if days else None,
                exit=lv.exit.describe() if lv.exit is not None else "",
                playbook=lv.playbook,
            )
        )
    return rows


@attrs.frozen(kw_only=True)
class CohortRevenue:
    """Revenue of the customers of one first-interaction month now at one level."""

    cohort: str
    level: str
    customers: int
    revenue: Decimal


def cohort_revenue(
    cards: Iterable[Card], facts: Mapping[CardId, CustomerFacts], config: BoardConfig
) -> list[CohortRevenue]:
    """Revenue per first-interaction-month cohort and current level (Cohort Revenue)."""
    cells: dict[tuple[str, str], list[Any]] = {}
    for card in cards:
        if not config.has(card.level):
            continue
        cohort = card.first_interaction.strftime("%Y-%m")
        cell = cells.setdefault((cohort, card.level), [0, Decimal(0)])
        cell[0] += 1
        known = facts.get(card.id)
        if known is not None:
            cell[1] += known.revenue
    order = {k: i for i, k in enumerate(config.keys)}
    return [
        CohortRevenue(cohort=c, level=lv, customers=n, revenue=r)
        for (c, lv), (n, r) in sorted(cells.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))
    ]
