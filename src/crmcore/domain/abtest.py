"""A/B tests: how the audience splits, and when one variant has won.

The winner rule (ours, PRODUCT.md C5): every arm must have at least ``min_sample``
deliveries sent; the arm with the highest rate of the measured action (opens, clicks or
conversions) is compared with each other arm by a two-sided two-proportion z-test
(pooled variance); it wins when every comparison is significant at ``level`` (default
0.05). Until then the held-back part of the audience waits; once there is a winner it
gets the winner's template.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from uuid import UUID

import attrs

#: Share of the audience that takes part in the test by default (the rest waits).
DEFAULT_TEST_SHARE = 0.2
DEFAULT_MIN_SAMPLE = 100
DEFAULT_LEVEL = 0.05
#: The variant name of a held-back delivery waiting for the winner.
HELD = "*"


@attrs.frozen(kw_only=True)
class AbRule:
    """How a campaign's A/B test is decided."""

    test_share: float = DEFAULT_TEST_SHARE
    min_sample: int = DEFAULT_MIN_SAMPLE
    level: float = DEFAULT_LEVEL
    metric: str = "clicked"  # opened, clicked or converted


def bucket(campaign_id: UUID, contact_id: UUID) -> float:
    """A number in [0, 1) fixed for (campaign, contact), uniform over contacts."""
    digest = hashlib.blake2b(campaign_id.bytes + contact_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def assign(
    campaign_id: UUID, contact_id: UUID, variants: Sequence[str], *, test_share: float = 1.0
) -> str:
    """The variant of a contact: the test part (``test_share`` of the audience) is split
    evenly over ``variants``; the rest is :data:`HELD`. One variant: everyone gets it."""
    if len(variants) == 1:
        return variants[0]
    b = bucket(campaign_id, contact_id)
    if b >= test_share:
        return HELD
    return variants[min(int(b / test_share * len(variants)), len(variants) - 1)]


def two_proportion_p(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """The two-sided p-value of a pooled two-proportion z-test (1.0 when undefined)."""
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (successes_a + successes_b) / (n_a + n_b)
    var = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if var <= 0:
        return 1.0
    z = (successes_a / n_a - successes_b / n_b) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2))


def winner(arms: Mapping[str, tuple[int, int]], rule: AbRule) -> str | None:
    """The winning variant of ``{variant: (sent, successes)}`` under ``rule``, or None
    while the test is undecided."""
    if len(arms) < 2 or any(sent < rule.min_sample for sent, _ in arms.values()):
        return None
    best = max(sorted(arms), key=lambda v: arms[v][1] / arms[v][0])
    s_best, k_best = arms[best]
    for other, (s, k) in arms.items():
        if other == best:
            continue
        if k / s >= k_best / s_best or two_proportion_p(k_best, s_best, k, s) >= rule.level:
            return None
    return best
