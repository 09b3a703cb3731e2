"""Phone number value object in E.164 form."""

from __future__ import annotations

import attrs
import phonenumbers
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError

DEFAULT_REGION = "RU"


@attrs.frozen
class Phone:
    """A valid phone number, stored as E.164 (``+79001234567``)."""

    e164: str

    @classmethod
    def parse(
        cls, raw: str, *, region: str = DEFAULT_REGION, field: str = "phone"
    ) -> Result[Phone, FieldError]:
        """Parse ``raw`` with ``region`` as the default country; reject invalid numbers."""
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            return Failure(FieldError(field=field, value=str(raw), reason="is empty"))
        try:
            number = phonenumbers.parse(text, region.upper())
        except phonenumbers.NumberParseException as exc:
            return Failure(FieldError(field=field, value=text, reason=_parse_reason(exc)))
        if not phonenumbers.is_valid_number(number):
            return Failure(
                FieldError(field=field, value=text, reason=f"not a valid number for {region}")
            )
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return Success(cls(e164))

    def __str__(self) -> str:
        return self.e164


def _parse_reason(exc: phonenumbers.NumberParseException) -> str:
    reasons = {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }
    return reasons.get(exc.error_type, "not a phone number")
