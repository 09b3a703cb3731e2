"""The one home of JSON text: what the accept fast path
(:mod:`crmcore.codec.interactions_fast`) needs to write canonical JSON exactly as
``json.dumps`` (default options) does, and the strict decoder every event input is read
with (no duplicate keys, no lone surrogates), and the compact text JSON columns and
outbox envelopes are stored as (:func:`compact`, orjson: ADR 0029). Everything else
calls ``json``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

import orjson

#: ``json.dumps`` of a ``str`` (the C function it calls, ``ensure_ascii`` on).
quote: Callable[[str], str] = encode_basestring_ascii


def compact(value: Any) -> str:
    """``value`` as compact UTF-8 JSON text (orjson, six to ten times ``json.dumps``);
    what orjson refuses (an integer past 64 bits, a lone surrogate, a key that is not
    text) is written by ``json.dumps`` in the same compact form, ASCII-escaped."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, separators=(",", ":"))


#: A lone surrogate as JSON text writes it (``\ud800``) or as it stands in a ``str``.
_SURROGATE_TEXT = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|[\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return value


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


class StrictDecoder(json.JSONDecoder):
    """A JSON decoder for input from outside: an object with a duplicate key, or a
    string with a lone surrogate (``"\\ud800"``: no UTF-8 text can hold it, so it could
    not be stored), is a ``ValueError`` rather than a value that loses or breaks data."""

    def __init__(self, *, parse_constant: Callable[[str], Any] | None = None) -> None:
        super().__init__(object_pairs_hook=_unique_keys, parse_constant=parse_constant)

    def decode(self, s: str, *args: Any) -> Any:
        value = super().decode(s, *args)
        # escaped surrogate pairs are common (``ensure_ascii`` writers); only text that
        # has one at all is walked
        if _SURROGATE_TEXT.search(s) is not None and _has_surrogate(value):
            raise ValueError("a string holds a lone surrogate (not valid Unicode)")
        return value
