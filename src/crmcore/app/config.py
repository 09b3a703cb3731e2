"""Intelligence configuration from a TOML file (``tomllib``): scoring, health, routing.

Every key is optional; what is absent keeps the documented default (docs/scoring.md).
A bad key or value is an ``InvalidInput`` naming the TOML path, never a traceback.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.clv_status import ClvRules
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.health import HealthConfig
from crmcore.domain.routing import Owner, RoutingConfig, TerritoryRule
from crmcore.domain.scoring import Keywords, Lookup, Piecewise, ScoringConfig

CONFIG_ENV = "CRMCORE_CONFIG"


@attrs.frozen(kw_only=True)
class IntelConfig:
    """Policies configured from data."""

    scoring: ScoringConfig = ScoringConfig()
    health: HealthConfig = HealthConfig()
    routing: RoutingConfig = RoutingConfig()
    clv: ClvRules = ClvRules()


class _Bad(ValueError):
    def __init__(self, path: str, value: object, reason: str) -> None:
        super().__init__(reason)
        self.error = FieldError(field=path, value=repr(value)[:80], reason=reason)


def _table(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _Bad(f"{path}.{key}", value, "must be a table")
    return value


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(path, value, "must be a number")
    return float(value)


def _points(value: object, path: str) -> Piecewise:
    if not isinstance(value, list):
        raise _Bad(path, value, "must be a list of [x, y] pairs")
    try:
        pairs = tuple(
            (_number(p[0], path), _number(p[1], path))
            for p in value
            if isinstance(p, list) and len(p) == 2
        )
        if len(pairs) != len(value):
            raise _Bad(path, value, "must be a list of [x, y] pairs")
        return Piecewise(pairs)
    except ValueError as exc:
        if isinstance(exc, _Bad):
            raise
        raise _Bad(path, value, str(exc)) from None


def _weights(data: Mapping[str, Any], path: str, default: Mapping[str, float]) -> dict[str, float]:
    if not data:
        return dict(default)
    return {str(k): _number(v, f"{path}.{k}") for k, v in data.items()}


def _scoring(data: Mapping[str, Any]) -> ScoringConfig:
    base = ScoringConfig()
    changes: dict[str, Any] = {}
    fit = _weights(_table(data, "fit_weights", "scoring"), "scoring.fit_weights", base.fit_weights)
    eng = _weights(
        _table(data, "engagement_weights", "scoring"),
        "scoring.engagement_weights",
        base.engagement_weights,
    )
    changes.update(fit_weights=fit, engagement_weights=eng)
    functions = _table(data, "functions", "scoring")
    for name in ("size", "budget", "web", "downloads", "email", "events"):
        if name in functions:
            changes[name] = _points(functions[name], f"scoring.functions.{name}")
    for key in ("half_life_days", "email_click_weight"):
        if key in data:
            changes[key] = _number(data[key], f"scoring.{key}")
    if "hot_threshold" in data:
        changes["hot_threshold"] = int(_number(data["hot_threshold"], "scoring.hot_threshold"))
    industry = _table(data, "industry", "scoring")
    if industry:
        values = _table(industry, "values", "scoring.industry")
        changes["industry"] = Lookup(
            {str(k): _number(v, f"scoring.industry.values.{k}") for k, v in values.items()},
            _number(industry.get("default", 0.0), "scoring.industry.default"),
        )
    role = _table(data, "role", "scoring")
    if role:
        keywords = role.get("keywords", [])
        if not isinstance(keywords, list) or not all(
            isinstance(k, list) and len(k) == 2 and isinstance(k[0], str) for k in keywords
        ):
            raise _Bad("scoring.role.keywords", keywords, "must be a list of [keyword, value]")
        changes["role"] = Keywords(
            tuple((k, _number(v, "scoring.role.keywords")) for k, v in keywords),
            _number(role.get("default", 0.0), "scoring.role.default"),
        )
    try:
        return attrs.evolve(base, **changes)
    except (ValueError, TypeError) as exc:
        raise _Bad("scoring", data, str(exc)) from None


def _health(data: Mapping[str, Any]) -> HealthConfig:
    base = HealthConfig()
    changes: dict[str, Any] = {}
    weights = _table(data, "weights", "health")
    if weights:
        changes["weights"] = _weights(weights, "health.weights", base.weights)
    for field in attrs.fields(HealthConfig):
        if field.name == "weights" or field.name not in data:
            continue
        value = _number(data[field.name], f"health.{field.name}")
        changes[field.name] = value if field.type in ("float", float) else int(value)
    unknown = set(data) - {f.name for f in attrs.fields(HealthConfig)}
    if unknown:
        raise _Bad("health", sorted(unknown), "unknown keys")
    try:
        return attrs.evolve(base, **changes)
    except (ValueError, TypeError) as exc:
        raise _Bad("health", data, str(exc)) from None


def _routing(data: Mapping[str, Any]) -> RoutingConfig:
    owners_raw = data.get("owners", [])
    rules_raw = data.get("territories", [])
    if not isinstance(owners_raw, list) or not isinstance(rules_raw, list):
        raise _Bad("routing", data, "owners and territories must be arrays of tables")
    owners = []
    for i, o in enumerate(owners_raw):
        path = f"routing.owners[{i}]"
        if not isinstance(o, Mapping) or not isinstance(o.get("id"), str):
            raise _Bad(path, o, "needs an id")
        capacity = o.get("capacity")
        owners.append(
            Owner(
                id=o["id"],
                team=str(o.get("team", "default")),
                active=bool(o.get("active", True)),
                capacity=None if capacity is None else int(_number(capacity, f"{path}.capacity")),
            )
        )
    rules = []
    for i, r in enumerate(rules_raw):
        path = f"routing.territories[{i}]"
        if not isinstance(r, Mapping) or not isinstance(r.get("team"), str):
            raise _Bad(path, r, "needs a team")
        if r.get("region") is None and r.get("industry") is None:
            raise _Bad(path, r, "needs a region or an industry")
        rules.append(
            TerritoryRule(team=r["team"], region=r.get("region"), industry=r.get("industry"))
        )
    default_team = data.get("default_team")
    return RoutingConfig(
        owners=tuple(owners),
        territories=tuple(rules),
        default_team=None if default_team is None else str(default_team),
    )


def _clv(data: Mapping[str, Any]) -> ClvRules:
    """The ``[clv]`` status rules; unknown keys and bad values name their TOML path."""
    known = {f.name: f.type for f in attrs.fields(ClvRules)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        path = f"config.clv.{key}"
        if key not in known:
            raise _Bad(path, value, f"unknown key (known: {', '.join(sorted(known))})")
        number = _number(value, path)
        if known[key] in ("int", int):
            if number != int(number):
                raise _Bad(path, value, "must be a whole number")
            values[key] = int(number)
        else:
            values[key] = number
    try:
        return ClvRules(**values)
    except ValueError as exc:
        raise _Bad("config.clv", dict(data), str(exc)) from exc


def parse_config(data: Mapping[str, Any]) -> Result[IntelConfig, InvalidInput]:
    """Build the configuration from decoded TOML."""
    try:
        return Success(
            IntelConfig(
                scoring=_scoring(_table(data, "scoring", "config")),
                health=_health(_table(data, "health", "config")),
                routing=_routing(_table(data, "routing", "config")),
                clv=_clv(_table(data, "clv", "config")),
            )
        )
    except _Bad as bad:
        return Failure(InvalidInput(errors=(bad.error,)))


def load_config(path: Path | None = None) -> Result[IntelConfig, InvalidInput]:
    """Read ``path`` (or ``$CRMCORE_CONFIG``); without either, the defaults."""
    if path is None:
        env = os.environ.get(CONFIG_ENV)
        if not env:
            return Success(IntelConfig())
        path = Path(env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return Failure(
            InvalidInput(errors=(FieldError(field="config", value=str(path), reason=str(exc)),))
        )
    except tomllib.TOMLDecodeError as exc:
        return Failure(
            InvalidInput(
                errors=(FieldError(field="config", value=str(path), reason=f"not TOML: {exc}"),)
            )
        )
    return parse_config(data)
