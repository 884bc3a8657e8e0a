"""Capped exponential backoff with full jitter, as a pure function of the attempt number."""

from __future__ import annotations

import math
import random
from typing import Protocol


class _Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


_DEFAULT_RNG = random.Random()


def ceiling(attempt: int, base: float = 1.0, factor: float = 1.8, cap: float = 300.0) -> float:
    """The largest wait before retry number `attempt` (0-based): base * factor**attempt, at most cap."""
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    if base < 0 or cap < 0 or factor < 1:
        raise ValueError("base and cap must be >= 0 and factor >= 1")
    if base == 0:
        return 0.0
    # Compare in log space so huge attempt numbers never overflow a float.
    if cap == 0 or attempt * math.log(factor) >= math.log(cap / base):
        return cap
    return base * factor**attempt


def delay(
    attempt: int, base: float = 1.0, factor: float = 1.8, cap: float = 300.0, rng: _Uniform | None = None
) -> float:
    """Seconds to wait before retry `attempt`: uniform between half the ceiling and the ceiling (jitter
    spreads reconnecting clients apart while keeping the wait growing)."""
    top = ceiling(attempt, base, factor, cap)
    return (rng or _DEFAULT_RNG).uniform(top / 2, top)
