"""The one home of hand-written JSON text: what the accept fast path
(:mod:`crmcore.codec.interactions_fast`) needs to write canonical JSON exactly as
``json.dumps`` (default options) does. Everything else calls ``json.dumps``."""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring_ascii

#: ``json.dumps`` of a ``str`` (the C function it calls, ``ensure_ascii`` on).
quote: Callable[[str], str] = encode_basestring_ascii
