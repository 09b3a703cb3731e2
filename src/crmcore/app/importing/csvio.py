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
from collections.abc import Iterator, Sequence
from itertools import compress, count, repeat
from pathlib import Path
from typing import NamedTuple

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


@attrs.frozen(kw_only=True)
class CsvFile:
    """A decoded CSV file: header, dialect facts and every non-blank record."""

    header: tuple[str, ...]
    encoding: str
    delimiter: str
    records: tuple[CsvRecord, ...]
    blank_lines: int


def parse_csv(text: str, *, delimiter: str | None = None, encoding: str = "utf-8") -> CsvFile:
    """Split ``text`` into header and records, skipping blank lines."""
    sep = delimiter or sniff_delimiter(text[:_SAMPLE])
    plain = split_plainly(text, sep)
    if plain is None:
        return _parse_quoted(text, sep, encoding)
    # one record a line, numbered from 1; the blank ones dropped (all without a Python
    # step per row: a million rows take a third of the csv module's time)
    keep = list(map(bool, map(str.strip, map("".join, plain))))
    lines, rows = compress(count(1), keep), compress(plain, keep)
    header = next(rows, None)
    if header is None:
        raise UnreadableFile("the file has no header row")
    next(lines)
    return CsvFile(
        header=tuple(c.strip() for c in header),
        encoding=encoding,
        delimiter=sep,
        records=tuple(map(tuple.__new__, repeat(CsvRecord), zip(lines, rows, strict=True))),
        blank_lines=keep.count(False),
    )


def split_plainly(text: str, sep: str) -> list[tuple[str, ...]] | None:
    """The rows :func:`csv.reader` reads from ``text``, every line one row, when nothing
    in it needs the reader: no quote, no carriage return but in CRLF line ends, no NUL,
    no field over the reader's size limit, a one-character separator. ``None`` otherwise."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if len(sep) != 1 or '"' in text or "\r" in text or "\0" in text:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if lines and max(map(len, lines)) > csv.field_size_limit():
        return None
    return list(map(tuple, map(str.split, lines, repeat(sep))))


def _parse_quoted(text: str, sep: str, encoding: str) -> CsvFile:
    """:func:`parse_csv` through the csv module (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: tuple[str, ...] | None = None
    records: list[CsvRecord] = []
    blank = 0
    start = 1
    append = records.append
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            # A row is blank when every cell is whitespace, i.e. when their concatenation is.
            if not cells or not (cells[0].strip() or "".join(cells).strip()):
                blank += 1
                continue
            if header is None:
                header = tuple(c.strip() for c in cells)
                continue
            append(CsvRecord(line, tuple(cells)))
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num}: {exc}") from exc
    if header is None:
        raise UnreadableFile("the file has no header row")
    return CsvFile(
        header=header, encoding=encoding, delimiter=sep, records=tuple(records), blank_lines=blank
    )


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


def write_csv(path: str | Path, header: Sequence[str], rows: Iterator[Sequence[str]]) -> None:
    """Write rows as UTF-8 CSV (with a BOM so spreadsheets pick the encoding)."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
