"""Contacts with planted duplicates, for the tests and ``bench/dedup_scan.py`` (typos,
swapped names, other e-mail domains, missing or reformatted values). Deterministic for a
seed."""

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
    return _planted(rows, pairs)


def _planted(rows: list[list[str]], pairs: set[tuple[str, str]]) -> Planted:
    """The rows and every duplicate pair: an original and its copy, and two copies of
    the same original (they are one person or organisation too)."""
    groups: dict[str, list[str]] = {}
    for a, b in pairs:
        groups.setdefault(a, [a]).append(b)
    everyone = frozenset(
        (min(x, y), max(x, y))
        for group in groups.values()
        for i, x in enumerate(group)
        for y in group[i + 1 :]
    )
    return Planted(rows=tuple(tuple(r) for r in rows), pairs=everyone)


WORDS = ("acme", "nova", "orbit", "delta", "lumen", "vertex", "quanta", "terra", "pixel",
         "atlas", "cobalt", "zenith", "ember", "harbor", "summit", "meridian", "polar")  # fmt: skip
TRADES = ("systems", "logistics", "foods", "labs", "media", "energy", "capital", "retail")
FORMS = ("", " llc", " inc", " ltd", " group")
ACCOUNT_HEADER = ("id", "name", "website", "phone", "city")


def _account(rng: random.Random, number: int) -> list[str]:
    words = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(TRADES)}"
    slug = words.replace(" ", "")
    return [
        f"a{number}",
        (words + rng.choice(FORMS)).title(),
        f"https://{slug}{number}.example",
        f"+7 9{rng.randrange(10**9):09d}",
        rng.choice(CITIES).title(),
    ]


def _account_copy(rng: random.Random, row: list[str], number: int) -> list[str]:
    copy = list(row)
    copy[0] = f"a{number}"
    base = copy[1].rsplit(" ", 1)[0] if copy[1].lower().endswith(FORMS[1:]) else copy[1]
    copy[1] = (base + rng.choice([f for f in FORMS if f])).title()  # always another name
    for change in rng.sample(range(4), rng.randint(1, 2)):
        if change == 0:
            copy[2] = copy[2].replace("https://", "http://www.") + "/about"
        elif change == 1:
            digits = copy[3].replace("+7 ", "")
            copy[3] = f"8{digits}"
        elif change == 2:
            copy[rng.choice((2, 3, 4))] = ""
        else:
            copy[1] = _typo(rng, copy[1])
    return copy


def planted_accounts(count: int, *, duplicate_share: float = 0.1, seed: int = 0) -> Planted:
    """``count`` accounts (``ACCOUNT_HEADER``) of which ``duplicate_share`` are altered
    copies of others (another legal form, a typo, a reformatted website or phone, a
    missing value); no two share a name."""
    rng = random.Random(seed)
    dupes = int(count * duplicate_share)
    rows: list[list[str]] = []
    names: set[str] = set()
    while len(rows) < count - dupes:
        row = _account(rng, len(rows))
        if row[1].casefold() in names:  # the word lists are small: a number makes it unique
            row[1] = f"{row[1]} {len(rows)}"
        names.add(row[1].casefold())
        rows.append(row)
    pairs: set[tuple[str, str]] = set()
    for n in range(dupes):
        source = rng.choice(rows[: count - dupes])
        copy = _account_copy(rng, source, count - dupes + n)
        if copy[1].casefold() in names:
            continue
        names.add(copy[1].casefold())
        rows.append(copy)
        pairs.add((source[0], copy[0]))
    rng.shuffle(rows)
    return _planted(rows, pairs)
