"""E-mail and phone checks for one import run: fast paths first, each value checked once.

A value goes to the exact fast path (:mod:`crmcore.codec.email_fast`,
:mod:`crmcore.codec.phone_fast`), and only when that declines to the full validators
(``Email.parse``, ``Phone.parse``). Results are remembered per run and per process, so a
value repeated in the file is checked once; each memo holds at most ``limit`` values and
forgets the oldest half when full.
"""

from __future__ import annotations

from itertools import islice

import attrs
from returns.result import Failure

from crmcore.codec.email_fast import fast_email
from crmcore.codec.phone_fast import fast_e164
from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError
from crmcore.domain.phone import Phone

MEMO_LIMIT = 200_000

Checked = str | FieldError


def _remember(memo: dict[str, Checked], key: str, value: Checked, limit: int) -> None:
    if len(memo) >= limit:
        for old in list(islice(memo, len(memo) // 2 or 1)):
            del memo[old]
    memo[key] = value


class ValueMemo:
    """Normalised e-mails and E.164 phones (or their errors) of one import run."""

    def __init__(self, region: str, *, limit: int = MEMO_LIMIT) -> None:
        self.region = region
        self.limit = limit
        self._emails: dict[str, Checked] = {}
        self._phones: dict[str, Checked] = {}

    def __len__(self) -> int:
        """How many values are remembered."""
        return len(self._emails) + len(self._phones)

    def email(self, raw: str, *, field: str = "email") -> Checked:
        """The normalised address, or the error naming ``field``."""
        hit = self._emails.get(raw)
        if hit is None:
            hit = fast_email(raw)
            if hit is None:
                parsed = Email.parse(raw)
                hit = parsed.failure() if isinstance(parsed, Failure) else parsed.unwrap().value
            _remember(self._emails, raw, hit, self.limit)
        if isinstance(hit, FieldError) and hit.field != field:
            return attrs.evolve(hit, field=field)
        return hit

    def phone(self, raw: str) -> Checked:
        """The E.164 number in the run's default region, or the error."""
        hit = self._phones.get(raw)
        if hit is None:
            hit = fast_e164(raw, self.region)
            if hit is None:
                parsed = Phone.parse(raw, region=self.region)
                hit = parsed.failure() if isinstance(parsed, Failure) else parsed.unwrap().e164
            _remember(self._phones, raw, hit, self.limit)
        return hit
