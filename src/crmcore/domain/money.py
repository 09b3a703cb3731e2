"""Money: a ``Decimal`` amount in an ISO-4217 currency. No float ever enters."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError

# Active ISO-4217 alphabetic codes (2024 list, funds and precious metals left out).
ISO_4217: frozenset[str] = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

DEFAULT_CURRENCY = "USD"

#: Money's bounds, checked wherever an amount comes in (``Money.parse``): the absolute
#: value is below ``MAX_AMOUNT`` and has at most ``MAX_PLACES`` decimal places (trailing
#: zeros beyond them are dropped). Every ISO-4217 minor unit fits four places, and SQLite
#: sums amounts as whole ten-thousandths (docs/cli.md "Bounds", CHANGELOG).
MAX_AMOUNT = Decimal(10) ** 15
MAX_PLACES = 4
_ONE = Decimal(1)
_QUANTUM = Decimal(1).scaleb(-MAX_PLACES)
#: Longest amount text read at all: a sign, 15 digits, a point, four places and some
#: zeros or an exponent; longer text is refused before it is converted.
MAX_AMOUNT_TEXT = 40


BOUNDS_REASON = (
    f"out of range: |amount| must be below 10^15 with at most {MAX_PLACES} decimal places"
)


def within_bounds(value: Decimal) -> Decimal | None:
    """``value`` with at most :data:`MAX_PLACES` places when it is within money's bounds
    (``1.50000`` → ``1.5000``; ``1e3`` → ``1000``), else ``None``."""
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(_ONE)  # scientific notation: written out
    if isinstance(exponent, int) and exponent >= -MAX_PLACES:
        return value
    rounded = value.quantize(_QUANTUM)
    return rounded if rounded == value else None


def _shown(amount: object) -> str:
    text = str(amount)
    return text if len(text) <= MAX_AMOUNT_TEXT else text[:MAX_AMOUNT_TEXT] + "…"


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@attrs.frozen
class Money:
    """An amount of one currency. Construct through :meth:`parse` or :meth:`of`."""

    amount: Decimal = attrs.field(validator=attrs.validators.instance_of(Decimal))
    currency: str = attrs.field(validator=attrs.validators.in_(ISO_4217))

    @classmethod
    def parse(
        cls, amount: str | int | Decimal, currency: str = DEFAULT_CURRENCY, *, field: str = "amount"
    ) -> Result[Money, FieldError]:
        """Build money from a decimal string, int or Decimal; floats are refused."""
        if isinstance(amount, (float, bool)):
            return Failure(
                FieldError(
                    field=field, value=repr(amount), reason="use a decimal string, not a float"
                )
            )
        if isinstance(amount, str) and len(amount.strip()) > MAX_AMOUNT_TEXT:
            return Failure(
                FieldError(
                    field=field,
                    value=amount[:MAX_AMOUNT_TEXT] + "…",
                    reason=f"longer than {MAX_AMOUNT_TEXT} characters",
                )
            )
        try:
            value = Decimal(amount.strip() if isinstance(amount, str) else amount)
        except (InvalidOperation, ValueError, TypeError):
            return Failure(
                FieldError(field=field, value=str(amount), reason="not a decimal number")
            )
        if not value.is_finite():
            return Failure(FieldError(field=field, value=str(amount), reason="must be finite"))
        bounded = within_bounds(value)
        if bounded is None:
            return Failure(FieldError(field=field, value=_shown(amount), reason=BOUNDS_REASON))
        value = bounded
        code = currency.strip().upper() if isinstance(currency, str) else ""
        if code not in ISO_4217:
            return Failure(
                FieldError(field="currency", value=str(currency), reason="not an ISO-4217 code")
            )
        return Success(cls(value, code))

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str = DEFAULT_CURRENCY) -> Money:
        """Build money from trusted input; raises ``ValueError`` on bad input."""
        result = cls.parse(amount, currency)
        if isinstance(result, Failure):
            raise ValueError(str(result.failure()))
        return result.unwrap()

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        """Nothing, in ``currency``."""
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        """Scale by an exact factor (a probability as ``Decimal('0.6')``, a count)."""
        return Money(self.amount * factor, self.currency)

    @property
    def is_negative(self) -> bool:
        """True for amounts below zero (refunds)."""
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
