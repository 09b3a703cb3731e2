"""Field comparators and blocking keys: how two values of one kind are told apart.

Each kind of field (a person's name, free text such as an address, digits such as a
postcode or an id, a date, an e-mail address, a phone number, a code compared exactly)
has a comparator that maps pairs of non-empty normalised values to levels, ``0``
(different) up to ``levels - 1`` (equal), and the blocking keys a value contributes.
Comparators work on whole columns of pairs at once: the string metrics run in rapidfuzz's
compiled ``cpdist``, the phonetic codes come from jellyfish (ADR 0017).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

import attrs
import jellyfish
import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.process import cpdist

Levels = npt.NDArray[np.int8]
#: Levels of many pairs: the left and right values (both non-empty) in two equal lists.
Comparator = Callable[[list[str], list[str]], Levels]

_SPACE = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")


class Kind(StrEnum):
    """How a field is compared and blocked on."""

    NAME = "name"
    PERSON = "person"
    TEXT = "text"
    DIGITS = "digits"
    DATE = "date"
    EMAIL = "email"
    PHONE = "phone"
    EXACT = "exact"


def normalise(value: str | None) -> str | None:
    """Lower case, accents folded, whitespace collapsed; ``None`` when nothing is left."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", value)
    if not text.isascii():
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _SPACE.sub(" ", text).strip().lower()
    if text in ("", "nan", "null", "none"):
        return None
    return text


def _metric(a: list[str], b: list[str], scorer: Any) -> npt.NDArray[Any]:
    return np.asarray(cpdist(a, b, scorer=scorer, workers=1))


def _equal(a: list[str], b: list[str]) -> npt.NDArray[np.bool_]:
    return np.asarray(np.array(a, dtype=object) == np.array(b, dtype=object), dtype=bool)


def _select(conditions: list[npt.NDArray[np.bool_]]) -> Levels:
    """The highest level whose condition holds (conditions listed from the top level down)."""
    top = len(conditions)
    return np.select(conditions, list(range(top, 0, -1)), default=0).astype(np.int8)


def _name(a: list[str], b: list[str]) -> Levels:
    s = _metric(a, b, JaroWinkler.similarity)
    return _select([_equal(a, b), s >= 0.92, s >= 0.85, s >= 0.7])


def _sorted_tokens(values: list[str]) -> list[str]:
    return [" ".join(sorted(v.split())) for v in values]


def _person(a: list[str], b: list[str]) -> Levels:
    """A full name whatever the order of its parts (first and last swapped)."""
    sa, sb = _sorted_tokens(a), _sorted_tokens(b)
    s = _metric(sa, sb, fuzz.token_sort_ratio)
    return _select([_equal(sa, sb), s >= 93, s >= 85, s >= 70])


def _text(a: list[str], b: list[str]) -> Levels:
    s = _metric(a, b, fuzz.token_set_ratio)
    squeezed = _equal([x.replace(" ", "") for x in a], [y.replace(" ", "") for y in b])
    return _select([_equal(a, b), squeezed | (s >= 85), s >= 65])


def _digits(a: list[str], b: list[str]) -> Levels:
    d = _metric(a, b, DamerauLevenshtein.distance)
    return _select([d == 0, d <= 1, d <= 2])


def _only_digits(values: list[str]) -> list[str]:
    digits = {v: _NOT_DIGIT.sub("", v) for v in set(values)}  # values repeat across pairs
    return [digits[v] for v in values]


def _date(a: list[str], b: list[str]) -> Levels:
    da, db = _only_digits(a), _only_digits(b)
    d = _metric(da, db, DamerauLevenshtein.distance)
    same_year = _equal([x[:4] for x in da], [y[:4] for y in db])
    return _select([d == 0, d <= 1, (d <= 2) | same_year])


def _email(a: list[str], b: list[str]) -> Levels:
    la, lb = [x.partition("@")[0] for x in a], [y.partition("@")[0] for y in b]
    d = _metric(la, lb, DamerauLevenshtein.distance)
    # a typo, not another number: ivan.petrov12 / ivan.petorv12, never ivan.petrov13
    # (only the pairs one edit apart need their digits compared)
    one = np.flatnonzero(d == 1)
    same_digits = np.zeros(len(a), dtype=bool)
    same_digits[one] = _equal(_only_digits([la[k] for k in one.tolist()]),
                              _only_digits([lb[k] for k in one.tolist()]))  # fmt: skip
    return _select([_equal(a, b), d == 0, (d <= 1) & same_digits])


def _phone(a: list[str], b: list[str]) -> Levels:
    da, db = _only_digits(a), _only_digits(b)
    return _select([_equal(da, db), _equal([x[-7:] for x in da], [y[-7:] for y in db])])


def _exact(a: list[str], b: list[str]) -> Levels:
    return _equal(a, b).astype(np.int8)


@attrs.frozen(kw_only=True)
class KindRules:
    """A kind's comparator, its number of levels and its blocking keys."""

    compare: Comparator
    levels: int
    keys: Callable[[str], Sequence[str]]


def _name_keys(v: str) -> Sequence[str]:
    phonetic = jellyfish.metaphone(v)
    return (v, "~" + phonetic) if phonetic else (v,)


def _person_keys(v: str) -> Sequence[str]:
    tokens = sorted(v.split())
    phonetic = " ".join(sorted(jellyfish.metaphone(t) for t in tokens))
    return (" ".join(tokens), "~" + phonetic)


def _email_keys(v: str) -> Sequence[str]:
    return (v, "@" + v.partition("@")[0])


def _phone_keys(v: str) -> Sequence[str]:
    digits = _NOT_DIGIT.sub("", v)
    return (digits[-9:],) if digits else ()


def _itself(v: str) -> Sequence[str]:
    return (v,)


RULES: dict[Kind, KindRules] = {
    Kind.NAME: KindRules(compare=_name, levels=5, keys=_name_keys),
    Kind.PERSON: KindRules(compare=_person, levels=5, keys=_person_keys),
    Kind.TEXT: KindRules(compare=_text, levels=4, keys=_itself),
    Kind.DIGITS: KindRules(compare=_digits, levels=4, keys=_itself),
    Kind.DATE: KindRules(compare=_date, levels=4, keys=_itself),
    Kind.EMAIL: KindRules(compare=_email, levels=4, keys=_email_keys),
    Kind.PHONE: KindRules(compare=_phone, levels=3, keys=_phone_keys),
    Kind.EXACT: KindRules(compare=_exact, levels=2, keys=_itself),
}


def compare_one(kind: Kind, a: str, b: str) -> int:
    """The level of one pair of non-empty values."""
    return int(RULES[kind].compare([a], [b])[0])


_HINTS: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    (Kind.EMAIL, ("email", "e-mail", "mail")),
    (Kind.PHONE, ("phone", "mobile", "tel")),
    (Kind.DATE, ("date", "dob", "birth", "born")),
    (Kind.NAME, ("name", "surname", "city", "suburb", "town", "company")),
)


def infer_kind(column: str, values: Sequence[str | None]) -> Kind:
    """The kind of a column from its name, else from its (normalised) values."""
    lowered = column.lower()
    for kind, hints in _HINTS:
        if any(h in lowered for h in hints):
            return kind
    present = [v for v in values if v is not None]
    if not present:
        return Kind.EXACT
    if len(set(present)) <= max(2, len(present) // 100):
        return Kind.EXACT
    if sum(v.isdigit() for v in present) >= 0.9 * len(present):
        return Kind.DIGITS
    if sum(v.count(" ") for v in present) >= 0.5 * len(present):
        return Kind.TEXT
    return Kind.NAME
