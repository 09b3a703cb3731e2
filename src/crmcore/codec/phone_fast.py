"""A fast path for plain phone numbers that answers exactly as :meth:`Phone.parse` does.

``Phone.parse`` runs phonenumbers' general parser (RFC 3966 URIs, extensions, vanity
letters, full-width digits, ...) and ``is_valid_number``: about 40 µs a value. Imported
numbers are nearly always ASCII digits with spaces, dashes, dots or brackets and an
optional leading ``+``. For those the library's result depends only on that ``+`` and
the digits, so :func:`fast_e164` replays the library's own decisions on the digit string
(country code, international and national prefixes, possible lengths, number-type
patterns, all read from phonenumbers' metadata) in a few µs.

It answers only with a number the library accepts, and with the same E.164 text;
anything else (another shape, an international prefix, a non-geographic code, an
invalid number) is ``None`` and goes to ``Phone.parse``. ``tests/unit/test_fast_paths.py``
checks the equality against the library on generated numbers of every region.
"""

from __future__ import annotations

import re
from functools import cache

import attrs
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

#: ASCII digits with the separators operators type; an optional ``+`` first (the library
#: skips whatever precedes the first digit or ``+``, and these separators anywhere).
_PLAIN = re.compile(r"\+?[ ().\-]*[0-9][0-9 ().\-]*")
_SEPARATORS = str.maketrans("", "", "+ ().-")
_NON_GEO = "001"
_MIN_NSN, _MAX_NSN, _MAX_INPUT, _MAX_CC_DIGITS = 2, 17, 250, 3


@attrs.frozen
class _Desc:
    """A number description: its lengths and its pattern, compiled once."""

    lengths: tuple[int, ...]
    pattern: re.Pattern[str] | None

    def matches(self, nsn: str) -> bool:
        """``_is_number_matching_desc``: a possible length and a full pattern match."""
        if self.lengths and len(nsn) not in self.lengths:
            return False
        return self.pattern is not None and self.pattern.fullmatch(nsn) is not None


def _desc(desc: PhoneNumberDesc | None) -> _Desc | None:
    if desc is None:
        return None
    source = desc.national_number_pattern
    return _Desc(tuple(desc.possible_length or ()), re.compile(source) if source else None)


@attrs.frozen
class _Region:
    """What the parser reads from one region's metadata."""

    code: str
    country_code: int
    idd: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None
    transform: str | None
    leading_digits: re.Pattern[str] | None
    general: _Desc
    general_pattern: re.Pattern[str] | None
    local_lengths: tuple[int, ...]
    types: tuple[_Desc, ...]

    def matches_general(self, number: str) -> bool:
        """``_match_national_number(number, general_desc, False)`` (no length check)."""
        pattern = self.general_pattern
        return pattern is not None and pattern.fullmatch(number) is not None

    def is_valid(self, nsn: str) -> bool:
        """``_number_type_helper(nsn) != UNKNOWN``: the general pattern and some type."""
        return self.general.matches(nsn) and any(kind.matches(nsn) for kind in self.types)

    def test_length(self, number: str) -> str:
        """``_test_number_length`` for an unknown type: the verdict's name."""
        size, lengths = len(number), self.general.lengths
        if size in self.local_lengths:
            return "local_only"
        if size == lengths[0]:
            return "possible"
        if size < lengths[0]:
            return "too_short"
        if lengths[-1] < size:
            return "too_long"
        return "possible" if size in lengths[1:] else "invalid_length"

    def strip_national_prefix(self, number: str) -> str:
        """``_maybe_strip_national_prefix_carrier_code``, the number part."""
        if not number or self.national_prefix is None:
            return number
        found = self.national_prefix.match(number)
        if found is None:
            return number
        viable = self.matches_general(number)
        groups = found.groups()
        if not self.transform or groups[len(groups) - 1] is None:
            rest = number[found.end() :]
        else:
            rest = self.national_prefix.sub(self.transform, number, count=1)
        if viable and not self.matches_general(rest):
            return number
        return rest

    def idd_is_stripped(self, digits: str) -> bool:
        """``_parse_prefix_as_idd``: an international prefix not followed by a ``0``."""
        if self.idd is None:
            return False
        found = self.idd.match(digits)
        return found is not None and digits[found.end() : found.end() + 1] != "0"


@cache
def _region(code: str) -> _Region | None:
    meta = PhoneMetadata.metadata_for_region(code, None)
    if meta is None or code == _NON_GEO:
        return None
    general = _desc(meta.general_desc)
    prefix = meta.national_prefix_for_parsing
    national_prefix = re.compile(prefix) if prefix else None
    transform = meta.national_prefix_transform_rule or None
    if general is None or not general.lengths or meta.country_code is None:
        return None  # the library would index an empty length list
    if transform and (national_prefix is None or national_prefix.groups == 0):
        return None  # the library would index an empty group list
    same = bool(meta.same_mobile_and_fixed_line_pattern)
    # Validity is "general and any type": the order of the types does not matter, so the
    # common ones go first. With the same mobile and fixed-line pattern the library looks
    # at the fixed line only.
    names: tuple[str, ...] = ("fixed_line",) if same else ("mobile", "fixed_line")
    names += ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number")
    names += ("pager", "uan", "voicemail")
    types = tuple(d for d in (_desc(getattr(meta, n)) for n in names) if d is not None)
    return _Region(
        code=code,
        country_code=meta.country_code,
        idd=re.compile(meta.international_prefix) if meta.international_prefix else None,
        national_prefix=national_prefix,
        transform=transform,
        leading_digits=re.compile(meta.leading_digits) if meta.leading_digits else None,
        general=general,
        general_pattern=general.pattern,
        local_lengths=tuple(getattr(meta.general_desc, "possible_length_local_only", ()) or ()),
        types=types,
    )


def _split_country_code(digits: str) -> tuple[int, str]:
    """``_extract_country_code``: the shortest known calling code at the start."""
    if not digits or digits[0] == "0":
        return 0, digits
    for size in range(1, min(len(digits), _MAX_CC_DIGITS) + 1):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[size:]
    return 0, digits


@cache
def _home(region: str) -> _Region | None:
    """The default region's rules (``region`` as given; the library upper-cases it)."""
    code = region.upper()
    return _region(code) if code in SUPPORTED_REGIONS else None


@cache
def _owners(country_code: int) -> tuple[_Region, ...] | None:
    """The regions sharing a calling code, in the library's order; ``None`` when one of
    them has metadata this module does not model (the caller then declines)."""
    owners = []
    for code in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        rules = _region(code)
        if rules is None:
            if code == _NON_GEO or PhoneMetadata.metadata_for_region(code, None) is not None:
                return None
            if len(COUNTRY_CODE_TO_REGION_CODE[country_code]) == 1:
                return None
            continue
        owners.append(rules)
    return tuple(owners)


def _is_valid(country_code: int, nsn: str) -> bool:
    """``is_valid_number``: the region the number belongs to, then its patterns."""
    owners = _owners(country_code)
    if not owners:
        return False
    if len(owners) == 1 and len(COUNTRY_CODE_TO_REGION_CODE[country_code]) == 1:
        return owners[0].is_valid(nsn)
    for rules in owners:
        if rules.leading_digits is not None:
            if rules.leading_digits.match(nsn):
                return rules.is_valid(nsn)
        elif rules.is_valid(nsn):
            return True
    return False


def fast_e164(raw: str, region: str) -> str | None:
    """The E.164 form ``Phone.parse(raw, region=region)`` gives, or ``None`` to ask it."""
    text = raw.strip()
    if len(text) > _MAX_INPUT or _PLAIN.fullmatch(text) is None:
        return None
    digits = text.translate(_SEPARATORS)
    home = _home(region)
    if len(digits) <= _MIN_NSN or home is None:
        return None
    target = home
    if text[0] == "+":
        country_code, national = _split_country_code(digits)
        if country_code == 0:
            return None
    else:
        if home.idd_is_stripped(digits):
            return None
        country_code, national = 0, digits
        code_text = str(home.country_code)
        if digits.startswith(code_text):
            rest = home.strip_national_prefix(digits[len(code_text) :])
            if (not home.matches_general(digits) and home.matches_general(rest)) or (
                home.test_length(digits) == "too_long"
            ):
                country_code, national = home.country_code, rest
    if country_code != 0:
        owners = _owners(country_code)
        if not owners or owners[0].code != COUNTRY_CODE_TO_REGION_CODE[country_code][0]:
            return None
        target = owners[0]
    else:
        country_code = home.country_code
    if len(national) < _MIN_NSN:
        return None
    stripped = target.strip_national_prefix(national)
    if target.test_length(stripped) in ("possible", "too_long"):
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN or not _is_valid(country_code, national):
        return None
    return f"+{country_code}{national}"
