"""Sentiment of a review or message: a label and how sure the model is."""

from __future__ import annotations

from enum import StrEnum

import attrs


class SentimentLabel(StrEnum):
    """The three labels every sentiment model answers with."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


def _unit(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be within [0, 1], got {value}")


@attrs.frozen(kw_only=True)
class Sentiment:
    """A label with a confidence in [0, 1]; ``confident`` compares it to a threshold."""

    label: SentimentLabel
    confidence: float = attrs.field(validator=_unit)

    def confident(self, threshold: float) -> bool:
        """True when the model is at least ``threshold`` sure."""
        return self.confidence >= threshold
