"""Numbers as the scheme and the inputs may hold them: finite, and of a sane size."""

from __future__ import annotations

import math
from typing import Any

MAX_NUMBER = 1e12  # no weight, threshold or factor of a scheme is larger; beyond it arithmetic could overflow


def finite(value: Any, limit: float = MAX_NUMBER) -> float | None:
    """``value`` as a float when it is a number (not a bool) no larger than ``limit``; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) and abs(number) <= limit else None
