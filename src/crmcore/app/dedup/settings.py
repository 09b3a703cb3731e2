"""Duplicate-detection settings from TOML: field kinds, a fixed model, thresholds.

```toml
prior = 0.04                 # optional: with m and u on every field, EM is skipped
[thresholds]
review = 0.5
merge = 0.99
[fields.surname]
kind = "name"                # name, text, digits, date, email, phone, exact
m = [0.1, 0.02, 0.03, 0.15, 0.7]   # one probability per level, 0 = different
u = [0.97, 0.02, 0.005, 0.003, 0.002]
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from crmcore.app.dedup.compare import RULES, Kind
from crmcore.domain.duplicates import FellegiSunter, FieldWeights, Thresholds
from crmcore.domain.errors import FieldError


@attrs.frozen(kw_only=True)
class DedupSettings:
    """What a settings file fixes (everything is optional)."""

    kinds: Mapping[str, Kind] = attrs.field(factory=dict)
    weights: Mapping[str, tuple[tuple[float, ...], tuple[float, ...]]] = attrs.field(factory=dict)
    prior: float | None = None
    thresholds: Thresholds = Thresholds()

    def model(self, fields: Sequence[str]) -> FellegiSunter | None:
        """The fixed model for these fields, when the file gives all of it (a field with
        ``m`` and ``u`` has its kind in ``kinds`` too)."""
        if self.prior is None or any(name not in self.weights for name in fields):
            return None
        return FellegiSunter(
            prior=self.prior,
            fields=tuple(
                FieldWeights(name=name, m=self.weights[name][0], u=self.weights[name][1])
                for name in fields
            ),
        )


def _floats(raw: Any) -> tuple[float, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, int | float) for x in raw):
        raise TypeError("a list of numbers is needed")
    return tuple(float(x) for x in raw)


def parse_settings(data: Mapping[str, Any]) -> DedupSettings | FieldError:
    """Settings from parsed TOML, or the first problem found."""
    kinds: dict[str, Kind] = {}
    weights: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {}
    for name, spec in dict(data.get("fields", {})).items():
        try:
            kind = Kind(spec.get("kind", "name"))
        except ValueError:
            return FieldError(field=f"fields.{name}.kind", value=str(spec), reason="unknown kind")
        kinds[name] = kind
        if "m" in spec or "u" in spec:
            try:
                m, u = _floats(spec.get("m")), _floats(spec.get("u"))
                FieldWeights(name=name, m=m, u=u)
            except (TypeError, ValueError) as exc:
                return FieldError(field=f"fields.{name}", value="m/u", reason=str(exc))
            if len(m) != RULES[kind].levels:
                return FieldError(
                    field=f"fields.{name}",
                    value=str(len(m)),
                    reason=f"a {kind.value} field has {RULES[kind].levels} levels",
                )
            weights[name] = (m, u)
    prior = data.get("prior")
    try:
        thresholds = Thresholds(**dict(data.get("thresholds", {})))
        if prior is not None and not 0.0 < float(prior) < 1.0:
            raise ValueError("prior must lie inside (0, 1)")
    except (TypeError, ValueError) as exc:
        return FieldError(field="thresholds", value=str(data.get("thresholds")), reason=str(exc))
    return DedupSettings(
        kinds=kinds,
        weights=weights,
        prior=None if prior is None else float(prior),
        thresholds=thresholds,
    )


def load_settings(path: str | Path) -> DedupSettings | FieldError:
    """Settings from a TOML file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return FieldError(field="settings", value=str(path), reason=str(exc))
    return parse_settings(data)
