"""The default enricher: a lookup table the operator provides (CSV: domain, industry,
size, country; other columns are ignored, empty cells mean unknown)."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from crmcore.domain.account import SIZE_RANGES
from crmcore.domain.enrichment import Firmographics, company_domain


class LookupTableError(ValueError):
    """The lookup table cannot be used."""


class LookupTableEnricher:
    """Firmographics from an in-memory table keyed by domain."""

    def __init__(self, table: Mapping[str, Firmographics]) -> None:
        self._table = dict(table)

    @classmethod
    def from_csv(cls, path: str | Path) -> LookupTableEnricher:
        """The table in ``path``; a bad size names its line."""
        try:
            with Path(path).open(encoding="utf-8-sig", newline="") as stream:
                reader = csv.DictReader(stream)
                if reader.fieldnames is None or "domain" not in reader.fieldnames:
                    raise LookupTableError(f"{path}: a 'domain' column is required")
                table: dict[str, Firmographics] = {}
                for line, row in enumerate(reader, start=2):
                    domain = company_domain(row.get("domain"))
                    if domain is None:
                        continue
                    size = (row.get("size") or "").strip() or None
                    if size is not None and size not in SIZE_RANGES:
                        raise LookupTableError(
                            f"{path}, line {line}: size {size!r} is not one of "
                            f"{', '.join(SIZE_RANGES)}"
                        )
                    table[domain] = Firmographics(
                        industry=(row.get("industry") or "").strip() or None,
                        size=size,
                        country=(row.get("country") or "").strip() or None,
                    )
        except OSError as exc:
            raise LookupTableError(f"{path}: {exc.strerror or exc}") from exc
        return cls(table)

    def lookup(self, domain: str) -> Firmographics | None:
        return self._table.get(domain.lower())
