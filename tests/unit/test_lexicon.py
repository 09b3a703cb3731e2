"""The default lexicon sentiment model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.adapters.sentiment.lexicon import LexiconSentimentAnalyser
from crmcore.domain.sentiment import SentimentLabel

model = LexiconSentimentAnalyser()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Great product, I love it", SentimentLabel.POSITIVE),
        ("terrible, the worst support", SentimentLabel.NEGATIVE),
        ("Отличный курс, рекомендую", SentimentLabel.POSITIVE),
        ("Ужасно медленно, сплошные ошибки", SentimentLabel.NEGATIVE),
        ("not good", SentimentLabel.NEGATIVE),
        ("не нравится", SentimentLabel.NEGATIVE),
        ("not bad at all", SentimentLabel.POSITIVE),
        ("Я не вижу смысла в подписке", SentimentLabel.NEGATIVE),
        ("when is the webinar?", SentimentLabel.NEUTRAL),
    ],
)
def test_labels(text: str, label: SentimentLabel) -> None:
    assert model.analyse(text).label is label


def test_mixed_feedback_is_not_confident() -> None:
    assert not model.analyse("good but slow").confident(0.6)


def test_more_agreeing_words_raise_confidence() -> None:
    one = model.analyse("good").confidence
    two = model.analyse("good and helpful").confidence
    assert 0.6 <= one < two <= 1.0


@given(st.text(max_size=200))
def test_deterministic_and_bounded(text: str) -> None:
    first, second = model.analyse(text), model.analyse(text)
    assert first == second
    assert 0.0 <= first.confidence <= 1.0
