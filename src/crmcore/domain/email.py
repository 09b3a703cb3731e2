"""E-mail address value object: syntax checked, lower-cased, no DNS.

The whole address is lower-cased, not only the domain: RFC 5321 allows case-sensitive
local parts, but no mainstream provider uses them, and a CRM that treated
``Ivan@x.ru`` and ``ivan@x.ru`` as two people would create duplicates.
"""

from __future__ import annotations

import attrs
import email_validator
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError


@attrs.frozen
class Email:
    """A syntactically valid, normalised e-mail address."""

    value: str

    @classmethod
    def parse(cls, raw: str, *, field: str = "email") -> Result[Email, FieldError]:
        """Validate and normalise ``raw``; the failure names the field."""
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            return Failure(FieldError(field=field, value=str(raw), reason="is required"))
        try:
            info = email_validator.validate_email(
                text, check_deliverability=False, allow_smtputf8=True
            )
        except email_validator.EmailNotValidError as exc:
            return Failure(FieldError(field=field, value=text, reason=str(exc)))
        return Success(cls(info.normalized.lower()))

    @property
    def domain(self) -> str:
        """The part after ``@``."""
        return self.value.rpartition("@")[2]

    def __str__(self) -> str:
        return self.value
