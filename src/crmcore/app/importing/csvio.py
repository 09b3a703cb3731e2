"""Reading operators' CSV files: encoding detection, delimiter sniffing, line numbers.

Exports from spreadsheets and Russian CRMs arrive as UTF-8, UTF-8 with a BOM or cp1251,
separated by commas, semicolons or tabs, with quoted newlines and blank lines. This module
turns such a file into a header and ``(line, cells)`` records, where ``line`` is the
physical line the record starts on (what an operator sees in an editor).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

import attrs
import charset_normalizer

DELIMITERS = ",;\t|"
_SAMPLE = 64 * 1024


class UnreadableFile(ValueError):
    """The file cannot be read as CSV (missing, empty, undecodable)."""


#: What the operator reads when a file is binary (its bytes are never echoed).
NOT_TEXT = "not a text CSV file"


def looks_binary(data: bytes) -> bool:
    """Whether ``data`` is not text: a NUL character in its first 64 KiB, as ``grep``
    decides (executables, images, archives and spreadsheets all have one early; a text
    file has none, while stray control characters in cells are the rows' business)."""
    sample = data[:_SAMPLE]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "\0" in sample[: len(sample) // 2 * 2].decode("utf-16", errors="replace")
    return b"\0" in sample


def detect_encoding(data: bytes) -> str:
    """The encoding of ``data``: a BOM, then strict UTF-8, then cp1251, then a guess."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("cp1251")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(data[:_SAMPLE]).best()
        return best.encoding if best is not None else "latin-1"
    return "cp1251"


def sniff_delimiter(sample: str) -> str:
    """The field delimiter of a CSV sample (``,`` ``;`` tab or ``|``)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


class CsvRecord(NamedTuple):
    """One CSV record and the physical line it starts on (1-based, header is line 1).

    A named tuple: a file has a million of them, built in a fifth of an attrs class's time.
    """

    line: int
    cells: tuple[str, ...]


class MalformedRecord(NamedTuple):
    """A record the csv module could not read (a cell over :data:`MAX_CELL` characters,
    a stray quote or NUL): its line, a prefix of its text and why. Importers reject it
    as a row; the records around it are read as usual."""

    line: int
    value: str
    reason: str


#: The longest cell a file may hold (the csv module's default field size limit): a
#: record with a longer one is a :class:`MalformedRecord`.
MAX_CELL = 131_072


@attrs.frozen(kw_only=True)
class CsvFile:
    """A decoded CSV file: header, dialect facts, every non-blank record and the records
    that could not be read."""

    header: tuple[str, ...]
    encoding: str
    delimiter: str
    records: tuple[CsvRecord, ...]
    blank_lines: int
    malformed: tuple[MalformedRecord, ...] = ()


def read_records(stream: Iterable[str], sep: str) -> Iterator[CsvRecord | MalformedRecord | None]:
    """The records of CSV text read line by line (open files with ``newline=""``), in
    order: a :class:`CsvRecord` with the physical line it starts on (the header is the
    first), ``None`` for a blank record, a :class:`MalformedRecord` for one the csv
    module cannot read — reading goes on at the next line. Memory stays flat."""
    reader = csv.reader(stream, delimiter=sep)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield MalformedRecord(start, "", f"unreadable CSV record: {exc}")
            start = reader.line_num + 1
            continue
        line = start
        start = reader.line_num + 1
        # A row is blank when every cell is whitespace, i.e. when their concatenation is.
        if not cells or not (cells[0].strip() or "".join(cells).strip()):
            yield None
            continue
        yield CsvRecord(line, tuple(cells))


def parse_csv(text: str, *, delimiter: str | None = None, encoding: str = "utf-8") -> CsvFile:
    """Split ``text`` into header and records, skipping blank lines (quoted cells may
    span lines)."""
    sep = delimiter or sniff_delimiter(text[:_SAMPLE])
    header: tuple[str, ...] | None = None
    records: list[CsvRecord] = []
    malformed: list[MalformedRecord] = []
    blank = 0
    for item in read_records(io.StringIO(text, newline=""), sep):
        if item is None:
            blank += 1
        elif isinstance(item, MalformedRecord):
            if header is None:
                raise UnreadableFile(f"line {item.line}: {item.reason}")
            malformed.append(item)
        elif header is None:
            header = tuple(c.strip() for c in item.cells)
        else:
            records.append(item)
    if header is None:
        raise UnreadableFile("the file has no header row")
    return CsvFile(
        header=header,
        encoding=encoding,
        delimiter=sep,
        records=tuple(records),
        blank_lines=blank,
        malformed=tuple(malformed),
    )


@contextmanager
def open_text(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> Iterator[tuple[IO[str], str, str]]:
    """``path`` opened as text for :func:`read_records`: the stream, its encoding and
    delimiter (detected from the first 64 KiB unless given). Raises
    :class:`UnreadableFile` for a missing, empty or binary file, or an unknown encoding."""
    try:
        with Path(path).open("rb") as raw:
            sample = raw.read(_SAMPLE)
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    if not sample.strip():
        raise UnreadableFile(f"{path}: the file is empty")
    if looks_binary(sample):
        raise UnreadableFile(f"{path}: {NOT_TEXT}")
    cut = sample.rfind(b"\n") if len(sample) == _SAMPLE else -1
    chosen = encoding or detect_encoding(sample[: cut + 1] if cut > 0 else sample)
    try:
        text = sample.decode(chosen, errors="replace").lstrip("\ufeff")
    except LookupError as exc:
        raise UnreadableFile(f"{path}: unknown encoding {chosen!r}") from exc
    with Path(path).open(encoding=chosen, errors="replace", newline="") as stream:
        yield stream, chosen, delimiter or sniff_delimiter(text)


def read_csv(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> CsvFile:
    """Read and decode a CSV file (encoding and delimiter detected unless given)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    if not data.strip():
        raise UnreadableFile(f"{path}: the file is empty")
    if looks_binary(data):
        raise UnreadableFile(f"{path}: {NOT_TEXT}")
    chosen = encoding or detect_encoding(data)
    try:
        text = data.decode(chosen)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(f"{path}: cannot decode as {chosen}: {exc}") from exc
    return parse_csv(text.lstrip("\ufeff"), delimiter=delimiter, encoding=chosen)


#: Cell starts a spreadsheet reads as a formula (docs/cli.md "Output formats").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")


def safe_cell(cell: str) -> str:
    """``cell`` defused against spreadsheet formula injection: a cell that starts with
    ``=`` ``+`` ``-`` ``@``, a tab or a carriage return gets a leading ``'`` (plain numbers
    such as ``-5`` or ``+79001234567`` cannot be formulas and are left as they are).
    ``crm import`` reads such a cell back without the ``'``."""
    if cell.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def _safe_row(row: Iterable[object]) -> list[str]:
    return [safe_cell(c if isinstance(c, str) else "" if c is None else str(c)) for c in row]


def csv_text(header: Sequence[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV text (``\n`` line ends) with a header row and every cell made safe: the one
    CSV writer of every ``crm`` command's ``--format csv``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(map(_safe_row, rows))
    return out.getvalue()


def write_csv(path: str | Path, header: Sequence[str], rows: Iterator[Sequence[str]]) -> None:
    """Write rows as UTF-8 CSV (with a BOM so spreadsheets pick the encoding), every cell
    made safe as :func:`csv_text` does."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(map(_safe_row, rows))
