"""HMAC signatures of webhook bodies, inbound and outbound alike.

A signature is ``sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``, sent in
``X-Crm-Signature`` with the Unix time in ``X-Crm-Timestamp``: the timestamp is signed, so
a captured request cannot be replayed later than the receiver's tolerance.
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Crm-Signature`` value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def signature_problem(
    secret: str | None,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance: int,
) -> str | None:
    """Why a signed request is refused, or ``None`` when its signature holds."""
    if secret is None:
        return "unknown source"
    if timestamp is None or signature is None:
        return "X-Crm-Timestamp and X-Crm-Signature are required"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "X-Crm-Timestamp must be Unix seconds"
    sent = int(timestamp)
    if abs(now - sent) > tolerance:
        return f"the timestamp is more than {tolerance} seconds from now"
    if not hmac.compare_digest(sign(secret, sent, body), signature.strip()):
        return "the signature does not match"
    return None
