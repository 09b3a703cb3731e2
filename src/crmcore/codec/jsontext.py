"""JSON text of scalars exactly as ``json.dumps`` (default options) writes it, without
its per-call overhead: for rows and envelopes written by the thousand."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

#: ``json.dumps`` of a ``str`` (the C function it calls, ``ensure_ascii`` on).
quote: Callable[[str], str] = encode_basestring_ascii


def scalar_json(value: Any) -> str:
    """``json.dumps(value)``: the common scalars written directly, anything else (floats
    that are not finite, subclasses, containers) by ``json.dumps`` itself."""
    kind = type(value)
    if kind is str:
        return quote(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value)
