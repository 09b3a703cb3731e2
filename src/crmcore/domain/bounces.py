"""Asynchronous bounces: what a delivery status notification (RFC 3464) says about one
recipient, and what the CRM does with it.

A DSN reports, per recipient, an ``Action`` (``failed``, ``delayed``, ``delivered``,
``relayed``, ``expanded``) and a ``Status`` ``class.subject.detail`` (RFC 3463): class 5 is
a permanent failure, 4 a transient one, 2 a success. The rule *(design choice)*:

- ``failed`` with a 5.x.x status is a **hard** bounce: the delivery is bounced and the
  address is suppressed on e-mail (like an unsubscribe, source ``bounce``);
- ``failed`` with any other status is a **soft** bounce: the delivery is bounced (the
  message did not arrive), the address stays;
- ``delayed`` (the MTA still tries), and the success actions, change nothing.
"""

from __future__ import annotations

import re
from enum import StrEnum

import attrs

_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})")


class BounceKind(StrEnum):
    """What a per-recipient report means for the delivery."""

    HARD = "hard"
    SOFT = "soft"
    NONE = "none"  # delayed, or delivered: nothing to record


def classify(action: str, status: str) -> BounceKind:
    """The kind of a recipient's report from its ``Action`` and ``Status`` fields."""
    if action.strip().lower() != "failed":
        return BounceKind.NONE
    found = _STATUS.match(status)
    if found is not None and found.group(1) == "5":
        return BounceKind.HARD
    return BounceKind.SOFT


@attrs.frozen(kw_only=True)
class Bounce:
    """One recipient of one DSN: the original message's ``Message-ID``, the recipient,
    the action and status, and the remote server's diagnostic."""

    message_id: str
    recipient: str
    action: str
    status: str
    diagnostic: str = ""

    @property
    def kind(self) -> BounceKind:
        """Hard, soft or nothing (see :func:`classify`)."""
        return classify(self.action, self.status)

    @property
    def reason(self) -> str:
        """The error recorded on the delivery."""
        text = f"{self.kind.value} bounce {self.status.strip()}"
        return f"{text}: {self.diagnostic.strip()}"[:500] if self.diagnostic.strip() else text
