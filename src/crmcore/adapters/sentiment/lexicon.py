"""A deterministic lexicon sentiment model for English and Russian.

Words are matched by stem (a lexicon entry matches every word it begins, so ``отличн``
covers ``отличный``, ``отлично``, ``отличная``). A negation (``not``, ``не``, ``нет``…)
flips the next sentiment word within three words. The confidence depends only on the
counts: ``0.5 + 0.5 · margin · strength`` where ``margin = |pos − neg| / (pos + neg)`` and
``strength = 1 − 2^−(pos + neg)``; a text with no sentiment word is neutral at
:data:`NO_SIGNAL_CONFIDENCE`, a perfectly mixed one neutral at :data:`MIXED_CONFIDENCE`
(below the default review threshold, so a person decides).
"""

from __future__ import annotations

import functools
import re

from crmcore.domain.sentiment import Sentiment, SentimentLabel

NO_SIGNAL_CONFIDENCE = 0.65
MIXED_CONFIDENCE = 0.4
NEGATION_WINDOW = 3

POSITIVE_EN = (
    "good", "great", "excellent", "love", "loved", "like", "liked", "amazing", "awesome",
    "perfect", "happy", "fantastic", "helpful", "recommend", "best", "nice", "thank",
    "wonderful", "useful", "easy", "fast", "glad", "satisf", "enjoy", "brilliant",
)  # fmt: skip
NEGATIVE_EN = (
    "bad", "terrible", "awful", "hate", "worst", "poor", "broken", "slow", "useless",
    "disappoint", "angry", "refund", "cancel", "problem", "issue", "bug", "expensive",
    "horrible", "annoy", "waste", "fail", "wrong", "unhappy", "frustrat", "complain",
)  # fmt: skip
POSITIVE_RU = (
    "хорош", "отличн", "прекрасн", "замечательн", "нрав", "люблю", "супер", "спасибо",
    "благодар", "рекоменд", "удобн", "полезн", "доволен", "довольн", "класс", "лучш",
    "понрав", "быстр", "смысл", "рад", "восторг",
)  # fmt: skip
NEGATIVE_RU = (
    "плох", "ужасн", "отвратит", "ненавиж", "худш", "сломан", "медленн", "бесполезн",
    "разочарова", "злой", "возврат", "отмен", "проблем", "ошибк", "дорог", "жалоб",
    "недоволен", "недовольн", "кошмар", "обман", "отписа", "глюч", "раздража",
)  # fmt: skip
NEGATIONS = frozenset(
    {"not", "no", "never", "dont", "don't", "isnt", "isn't", "wasnt", "wasn't", "cannot",
     "cant", "can't", "hardly", "не", "нет", "ни", "никогда", "без", "нисколько"}
)  # fmt: skip

_WORD = re.compile(r"[\w']+", re.UNICODE)


@functools.lru_cache(maxsize=65_536)  # a pure function of the word; texts repeat words
def _polarity(word: str) -> int:
    for stems, sign in (
        (POSITIVE_EN, 1),
        (NEGATIVE_EN, -1),
        (POSITIVE_RU, 1),
        (NEGATIVE_RU, -1),
    ):
        if any(word.startswith(stem) for stem in stems):
            return sign
    return 0


class LexiconSentimentAnalyser:
    """The default :class:`SentimentAnalyser`: no network, same answer for the same text."""

    def analyse(self, text: str) -> Sentiment:
        positive = negative = 0
        negate_left = 0
        for word in _WORD.findall(text.lower().replace("ё", "е")):
            if word in NEGATIONS:
                negate_left = NEGATION_WINDOW
                continue
            sign = _polarity(word)
            if sign and negate_left:
                sign = -sign
                negate_left = 0
            elif negate_left:
                negate_left -= 1
            if sign > 0:
                positive += 1
            elif sign < 0:
                negative += 1
        hits = positive + negative
        if hits == 0:
            return Sentiment(label=SentimentLabel.NEUTRAL, confidence=NO_SIGNAL_CONFIDENCE)
        if positive == negative:
            return Sentiment(label=SentimentLabel.NEUTRAL, confidence=MIXED_CONFIDENCE)
        margin = abs(positive - negative) / hits
        strength = 1 - 0.5**hits
        label = SentimentLabel.POSITIVE if positive > negative else SentimentLabel.NEGATIVE
        return Sentiment(label=label, confidence=round(0.5 + 0.5 * margin * strength, 4))
