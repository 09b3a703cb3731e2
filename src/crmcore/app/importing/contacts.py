"""Storing a contacts file while the pool is still validating it (issue 5).

A row that shares neither its user id nor its e-mail with another row of the file, nor
with a stored contact, is created whatever happens to the other rows, and creating it
changes nothing for them. Such *independent* rows are stored as soon as their chunk is
validated, in batches (e-mail order inside a batch, ids made in that order, so both
indexes grow at their ends), while the workers validate the rest of the file.

Every other row waits: at the end the waiting rows are merged by import key and upserted
in file order, exactly as a file is imported without streaming. The stored state and the
counts equal those of taking every row in file order; only the time differs.

Which keys the file shares is known before the first batch is stored: while the pool
validates, this process reads every record's user id and normalised e-mail once.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import compress, repeat
from operator import itemgetter, not_
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict
from crmcore.app.importing.csvio import CsvFile, CsvRecord
from crmcore.app.importing.memo import ValueMemo
from crmcore.app.importing.plan import ColumnPlan, Defaults, Kind
from crmcore.app.importing.rows import (
    PackedChunk,
    RejectedRow,
    ValidRow,
    cell_text,
    validate_packed_stream,
)
from crmcore.codec.email_fast import email_key
from crmcore.domain.account import Account, AccountType
from crmcore.domain.contact import NewContact
from crmcore.domain.errors import FieldError
from crmcore.domain.ids import AccountId
from crmcore.ports.uow import UnitOfWork

#: ``progress(phase, done, total)``, as for :func:`crmcore.app.importing.files.import_file`.
Progress = Callable[[str, int, int], None]

#: A validated row, packed: its line, data values, extra items and the data keys.
Row = tuple[int, tuple[Any, ...], tuple[Any, ...], tuple[str, ...]]


@attrs.frozen(kw_only=True)
class Streamed:
    """What the streaming pass did: rows created, rows left for the in-order pass
    (:class:`ValidRow`, in file order) and rows rejected so far."""

    created: int
    waiting: tuple[ValidRow, ...]
    rejected: tuple[RejectedRow, ...]


def shared_keys(
    plan: ColumnPlan, records: Sequence[CsvRecord], region: str
) -> tuple[set[str], set[str]]:
    """The user ids and e-mails (as they would be stored) found on more than one record.

    Plain ASCII cells are grouped by :func:`email_key` without validating them; the rare
    others go through the full check (invalid ones are skipped: their rows are rejected).
    So two rows whose stored e-mails would be equal always count as sharing.
    """
    columns = {field: index for index, field in plan.fields}
    memo = ValueMemo(region)

    def stored_email(text: str) -> str | None:
        checked = memo.email(text)
        return None if isinstance(checked, FieldError) else checked

    shared: list[set[str]] = []
    for field in ("user_id", "email"):
        index = columns.get(field)
        cells = [] if index is None else [cell_text(r.cells, index) for r in records]
        texts = [text for text in cells if text]
        present: list[str | None] = list(texts)
        if field == "email":
            keys = [email_key(text) for text in texts]
            present = [
                k if k is not None else stored_email(v) for k, v in zip(keys, texts, strict=True)
            ]
        if len(set(present)) == len(present):
            shared.append(set())
            continue
        shared.append({v for v, n in Counter(present).items() if n > 1 and v is not None})
    return shared[0], shared[1]


def stream_contacts(
    app: App,
    file: CsvFile,
    plan: ColumnPlan,
    defaults: Defaults,
    *,
    batch_size: int,
    workers: int,
    start_method: str | None,
    progress: Progress | None,
) -> Result[Streamed, AppError]:
    """Validate ``file`` on the pool and store its independent rows meanwhile."""
    records = file.records
    # This process stores, and storing is the longer half: it counts as one of the
    # ``workers`` processes, the others validate (two cores: one of each).
    chunks: Iterator[PackedChunk] = validate_packed_stream(
        Kind.CONTACTS,
        plan,
        defaults,
        records,
        workers=workers - 1,
        start_method=start_method,
        pool_from=1,
    )
    first = next(chunks, None)  # starts the pool; the keys are read while it works
    shared_users, shared_emails = shared_keys(plan, records, defaults.region)
    empty = _no_contacts(app)
    waiting: list[ValidRow] = []
    rejected: list[RejectedRow] = []
    pending: list[Row] = []
    created = validated = stored = 0
    total = len(records)

    def flush(
        batch: list[Row],
    ) -> Result[None, AppError]:
        nonlocal created, stored
        done = transact(
            app, lambda uow: _store_independent(app, uow, batch, records_cells, look=not empty)
        )
        if isinstance(done, Failure):
            if not isinstance(done.failure(), Conflict):
                return Failure(done.failure())
            # someone else stored one of these keys meanwhile: the in-order pass decides
            waiting.extend(_valid(line, keys, values, extra) for line, values, extra, keys in batch)
        else:
            made, later, bad = done.unwrap()
            created += made
            waiting.extend(later)
            rejected.extend(bad)
        stored += len(batch)
        if progress:
            progress("store", stored, total)
        return Success(None)

    cells_by_line: dict[int, tuple[str, ...]] = {}

    def records_cells(line: int) -> tuple[str, ...]:
        if not cells_by_line:
            cells_by_line.update((r.line, r.cells) for r in records)
        return cells_by_line.get(line, ())

    for keys, rows in itertools.chain([first] if first is not None else [], chunks):
        user_at = keys.index("user_id") if keys else 0
        email_at = keys.index("email") if keys else 0
        valid = list(map(itemgetter(1), rows))
        for line, _, cells, reasons in compress(rows, map(not_, valid)):
            errors = tuple(FieldError(field=f, value=v, reason=r) for f, v, r in reasons)
            rejected.append(RejectedRow(line=line, cells=cells, errors=errors))
        good = list(compress(rows, valid))
        if not (shared_users or shared_emails):  # every valid row is independent
            lines, values_of, extras = (map(itemgetter(i), good) for i in (0, 2, 3))
            pending.extend(zip(lines, values_of, extras, repeat(keys)))
            good = []
        for line, _, values, extra in good:
            user, email = values[user_at], values[email_at]
            if (user is not None and user in shared_users) or (
                email is not None and email in shared_emails
            ):
                waiting.append(_valid(line, keys, values, extra))
                stored += 1
                continue
            pending.append((line, values, extra, keys))
        validated += len(rows)
        if progress:
            progress("validate", validated, total)
        while len(pending) >= batch_size:
            batch, pending[:] = pending[:batch_size], pending[batch_size:]
            failed = flush(batch)
            if isinstance(failed, Failure):
                return Failure(failed.failure())
    if pending:
        failed = flush(pending)
        if isinstance(failed, Failure):
            return Failure(failed.failure())
    waiting.sort(key=lambda r: r.line)
    return Success(Streamed(created=created, waiting=tuple(waiting), rejected=tuple(rejected)))


def account_resolver(
    uow: UnitOfWork, *, create_for: App | None = None
) -> Callable[[str], AccountId | None]:
    """Account ids by name (case-insensitive), each name looked up once per unit of work.

    With ``create_for``, a name no account has yet becomes a new account (a corporation,
    in the same unit of work), as CRMs do when a contacts file names its company."""
    cache: dict[str, AccountId | None] = {}

    def account_id(name: str) -> AccountId | None:
        spaced = " ".join(name.split())
        key = spaced.casefold()
        if key not in cache:
            found = uow.accounts.find_by_name(spaced)
            if found is None and create_for is not None and key:
                found = new_account(create_for, name)
                uow.accounts.add(found)
            cache[key] = found.id if found else None
        return cache[key]

    return account_id


def new_account(app: App, name: str) -> Account:
    """An account created because an imported row names it: only its name is known."""
    now = app.clock.now()
    return Account(
        id=AccountId(app.ids.new()),
        name=" ".join(name.split()),
        type=AccountType.CORPORATION,
        created_at=now,
        updated_at=now,
    )


def _no_contacts(app: App) -> bool:
    with app.uow() as uow:
        return not uow.contacts.list(include_archived=True, limit=1)


def _valid(line: int, keys: Sequence[str], values: Sequence[Any], extra: Sequence[Any]) -> ValidRow:
    return ValidRow(line=line, data=dict(zip(keys, values, strict=True)), extra=dict(extra))


def _store_independent(
    app: App,
    uow: UnitOfWork,
    batch: Sequence[Row],
    cells_of: Callable[[int], tuple[str, ...]],
    *,
    look: bool,
) -> Result[tuple[int, list[ValidRow], list[RejectedRow]], AppError]:
    """Create the rows of ``batch`` no stored contact holds a key of; the others wait.

    ``look=False`` skips asking which keys are stored (the table was empty when the
    import began): a contact stored meanwhile by someone else still holds a unique key,
    so the insert fails and the caller hands the batch to the in-order pass.
    """
    keys = batch[0][3]
    at = {k: i for i, k in enumerate(keys)}
    i_user, i_email, i_name = at["user_id"], at["email"], at["name"]
    i_phone, i_account, i_account_id = at["phone"], at["account"], at["account_id"]
    i_role, i_channel = at["role"], at["preferred_channel"]
    users, emails = (
        uow.contacts.keys_in_use(
            user_ids=[v[i_user] for _, v, _, _ in batch if v[i_user] is not None],
            emails=[v[i_email] for _, v, _, _ in batch if v[i_email] is not None],
        )
        if look
        else (set(), set())
    )
    account_of = account_resolver(uow, create_for=app)
    later: list[ValidRow] = []
    bad: list[RejectedRow] = []
    fresh: Sequence[Row] = batch
    account_ids: Sequence[AccountId | None] = [None] * len(batch)
    values_of = list(map(itemgetter(1), batch))
    if (
        users
        or emails
        or any(map(itemgetter(i_account), values_of))
        or any(map(itemgetter(i_account_id), values_of))
    ):
        # some rows wait, are rejected or name an account: row by row
        kept: list[Row] = []
        kept_ids: list[AccountId | None] = []
        for row in batch:
            line, values, extra, _ = row
            user, email = values[i_user], values[i_email]
            if (user is not None and user in users) or (email is not None and email in emails):
                later.append(_valid(line, keys, values, extra))
                continue
            account_id = AccountId(values[i_account_id]) if values[i_account_id] else None
            name = values[i_account]
            if account_id is None and name:
                account_id = account_of(name)
                if account_id is None:
                    error = FieldError(field="account", value=name, reason="no such account")
                    bad.append(RejectedRow(line=line, cells=cells_of(line), errors=(error,)))
                    continue
            kept.append(row)
            kept_ids.append(account_id)
        fresh, account_ids = kept, kept_ids
        values_of = list(map(itemgetter(1), fresh))
    # e-mail order (no e-mail first), every column taken without a Python step per row
    by_email = ["" if e is None else e for e in map(itemgetter(i_email), values_of)]
    order = sorted(range(len(fresh)), key=by_email.__getitem__)
    values_of = list(map(values_of.__getitem__, order))
    names = list(map(itemgetter(i_name), values_of))
    columns = (
        app.ids.new_many(len(order)),
        map(itemgetter(0), names),
        map(itemgetter(1), names),
        map(itemgetter(i_email), values_of),
        map(itemgetter(i_phone), values_of),
        map(itemgetter(i_user), values_of),
        map(account_ids.__getitem__, order),
        map(itemgetter(i_role), values_of),
        map(itemgetter(i_channel), values_of),
        map(dict, map(itemgetter(2), map(fresh.__getitem__, order))),
    )
    # NewContact's own __new__ is a Python function: a million calls
    made = map(tuple.__new__, repeat(NewContact), zip(*columns, strict=True))
    uow.contacts.add_imported(list(made), at=app.clock.now())
    return Success((len(order), later, bad))
