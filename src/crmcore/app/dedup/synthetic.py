"""Contacts with planted duplicates: data for the benchmarks, the tests and trying out
``crm dedup`` (typos, swapped names, other e-mail domains, missing or reformatted values).
Deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

FIRST = [
    "anna",
    "ivan",
    "maria",
    "olga",
    "peter",
    "sergey",
    "elena",
    "dmitry",
    "natalia",
    "alexei",
    "irina",
    "mikhail",
    "tatiana",
    "nikolai",
    "svetlana",
    "andrei",
    "yulia",
    "pavel",
    "ekaterina",
    "oleg",
    "john",
    "mary",
    "james",
    "linda",
    "robert",
    "susan",
    "michael",
    "karen",
    "david",
    "lisa",
    "daniel",
    "sarah",
    "thomas",
    "emma",
    "lucas",
    "chloe",
    "hugo",
    "lea",
    "noah",
    "mia",
]
LAST = [
    "ivanov",
    "smirnova",
    "kuznetsov",
    "popova",
    "sokolov",
    "lebedeva",
    "kozlov",
    "novikova",
    "morozov",
    "petrova",
    "volkov",
    "solovyova",
    "vasiliev",
    "zaitseva",
    "pavlov",
    "semenova",
    "golubev",
    "vinogradova",
    "bogdanov",
    "vorobyova",
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
]
CITIES = [
    "moscow",
    "kazan",
    "novosibirsk",
    "yekaterinburg",
    "samara",
    "omsk",
    "perm",
    "ufa",
    "tomsk",
    "sochi",
    "london",
    "paris",
    "berlin",
    "madrid",
    "rome",
    "vienna",
    "prague",
    "warsaw",
    "riga",
    "tallinn",
]
DOMAINS = ("mail.ru", "gmail.com", "yandex.ru", "inbox.ru", "list.ru")
HEADER = ("id", "first_name", "last_name", "email", "phone", "city", "birth_date")

Row = list[str]


@attrs.frozen(kw_only=True)
class Planted:
    """Rows (``HEADER``) and the pairs of ids that are one person."""

    rows: tuple[tuple[str, ...], ...]
    pairs: frozenset[tuple[str, str]]


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    move = rng.randrange(3)
    if move == 0:  # transpose
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if move == 1:  # delete
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i:]


def _original(rng: random.Random, number: int) -> Row:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    # a tail makes most names distinct, as real populations are
    last = last + rng.choice(("", "", "a", "in", "ko", "ez", "son", "ova", "man"))
    year, month, day = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
    return [
        f"c{number}",
        first.title(),
        last.title(),
        f"{first}.{last}{rng.randrange(10_000)}@{rng.choice(DOMAINS)}",
        f"+7 9{rng.randrange(10**9):09d}",
        rng.choice(CITIES).title(),
        f"{year:04d}-{month:02d}-{day:02d}",
    ]


def _swap_names(rng: random.Random, row: Row) -> None:
    row[1], row[2] = row[2], row[1]


def _name_typo(rng: random.Random, row: Row) -> None:
    k = rng.choice((1, 2))
    row[k] = _typo(rng, row[k])


def _other_domain(rng: random.Random, row: Row) -> None:
    local = row[3].partition("@")[0]
    row[3] = f"{local}@{rng.choice(DOMAINS)}"


def _email_typo(rng: random.Random, row: Row) -> None:
    local, _, domain = row[3].partition("@")
    row[3] = f"{_typo(rng, local)}@{domain}"


def _phone_format(rng: random.Random, row: Row) -> None:
    digits = row[4].replace("+7 ", "")
    row[4] = rng.choice((f"8{digits}", f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:]}", ""))


def _drop(rng: random.Random, row: Row) -> None:
    row[rng.choice((4, 5, 6))] = ""


def _date_typo(rng: random.Random, row: Row) -> None:
    if row[6]:
        row[6] = row[6][:-1] + str(rng.randrange(10))


CHANGES: tuple[Callable[[random.Random, Row], None], ...] = (
    _swap_names,
    _name_typo,
    _other_domain,
    _email_typo,
    _phone_format,
    _drop,
    _date_typo,
)


def planted(
    count: int, *, duplicate_share: float = 0.1, seed: int = 0, distinct_emails: bool = False
) -> Planted:
    """``count`` rows of which ``duplicate_share`` are altered copies of other rows.

    With ``distinct_emails`` no two rows share an e-mail address (an import would take
    such rows for one contact already)."""
    rng = random.Random(seed)
    dupes = int(count * duplicate_share)
    originals = [_original(rng, i) for i in range(count - dupes)]
    rows: list[Row] = list(originals)  # the same row lists: e-mail fixes apply to both
    pairs: set[tuple[str, str]] = set()
    emails: set[str] = set()
    for row in rows:
        if distinct_emails and row[3] in emails:
            local, _, domain = row[3].partition("@")
            row[3] = f"{local}.{row[0]}@{domain}"
        emails.add(row[3])
    for n in range(dupes):
        source = rng.choice(originals)
        copy = list(source)
        copy[0] = f"c{count - dupes + n}"
        for change in rng.sample(CHANGES, rng.randint(1, 3)):
            change(rng, copy)
        if distinct_emails and copy[3] in emails:
            local, _, domain = copy[3].partition("@")
            copy[3] = f"{local}{n}@{domain}"
        emails.add(copy[3])
        pairs.add((source[0], copy[0]))
        rows.append(copy)
    rng.shuffle(rows)
    # copies of the same original are one person too
    by_source: dict[str, list[str]] = {}
    for a, b in pairs:
        by_source.setdefault(a, [a]).append(b)
    everyone = frozenset(
        (min(x, y), max(x, y))
        for group in by_source.values()
        for i, x in enumerate(group)
        for y in group[i + 1 :]
    )
    return Planted(rows=tuple(tuple(r) for r in rows), pairs=everyone)
