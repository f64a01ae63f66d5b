"""Numbers as the scheme and the inputs may hold them: finite, of a sane size, and typed as text.

The product's one reading of a number typed as text (an input cell, a cell of the scheme sheet,
a worksheet function's argument, a roster column) is :func:`parse_number`, and its one reading
of a blank cell written as text is :func:`is_blank_text`: the engine, the workbook and the
add-in call these two and nothing else, so "85%" or "-" means the same wherever it is typed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from numbers import Real
from typing import Any

import numpy as np

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


# full-width forms (what a Chinese input method types) as their ASCII selves; the minus sign too
_HALF_WIDTH = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)},
                             "＋": "+", "－": "-", "−": "-", "．": ".", "％": "%", "\u3000": " "})
_DROPPED = str.maketrans("", "", ",，¥￥")  # thousands separators and the yuan sign, wherever they are
_SCALES = {"%": Decimal(1) / 100, "万": Decimal(10) ** 4, "亿": Decimal(10) ** 8}
DASHES = frozenset({"-", "—", "--"})
BLANK_TEXTS = frozenset({"", "nan"}) | DASHES  # compared stripped and lower-cased


def parse_number(value: Any) -> float | None:
    """A number typed in a cell, as a finite float; None when it is not one.

    Numbers (int, float, numpy numbers; never a bool) are taken as they are. Text is read the
    way people in China type numbers into spreadsheets:

    - spaces around are ignored, and full-width digits, signs, point and percent sign read as
      their ASCII selves (``"７２０２"`` → 7202, ``"８５％"`` → 0.85);
    - thousands separators (``,`` and ``，``) and the yuan sign (``¥`` or ``￥``) are dropped
      wherever they stand (``"¥1,000"`` → 1000, ``"1,234.5"`` → 1234.5);
    - one trailing unit scales the number: ``%`` (``"85%"`` → 0.85, ``"3.02％"`` → 0.0302),
      ``万`` (``"243万"`` → 2,430,000) or ``亿`` (``"1.2亿"`` → 120,000,000); the scaled value
      is computed in decimal, so ``"85%"`` is exactly the float ``0.85``, as if 0.85 were typed;
    - the yuan written after the number, as some platform exports do, is dropped with it:
      ``"1,234.50元"`` → 1234.5, ``"1.2万元"`` → 12,000.

    Anything else is None: words, dates, ``"1e400"`` and other non-finite values, text that is
    blank (see :func:`is_blank_text`: a blank is not a number, and not an error either). The
    caller decides what None means (a problem to report, a value kept as typed).
    """
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _parse_text(value: str) -> float | None:
    text = value.translate(_HALF_WIDTH).translate(_DROPPED).strip()
    if text.endswith("元"):
        text = text[:-1].rstrip()
    scale = _SCALES.get(text[-1:])
    if scale is None:
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        try:
            number = float(Decimal(text[:-1].strip()) * scale)
        except (ArithmeticError, ValueError):  # decimal's InvalidOperation and Overflow are ArithmeticErrors
            return None
    return number if math.isfinite(number) else None


def is_blank_text(value: Any, *, dashes: bool = True) -> bool:
    """True when ``value`` is text that stands for an empty cell: nothing but spaces, a dash
    (``"-"``, ``"—"``, ``"--"``), or ``"nan"`` in any case (how pandas writes a blank cell after
    ``astype(str)``). False for anything that is not a str: None and NaN are blank cells too,
    but they are not text, and callers test them as such (``pandas.isna``).

    ``dashes=False`` where a dash can be a value: in a text or choice column (an open choice
    such as 品类 takes any word) a dash is kept as typed; in a number cell it is a blank.
    """
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    return text in BLANK_TEXTS and (dashes or text not in DASHES)


def is_blank(value: Any, *, dashes: bool = False) -> bool:
    """True for an empty cell however it arrives: None, NaN, or blank text (:func:`is_blank_text`;
    a dash counts only with ``dashes``, where the cell holds a number). The one test of "empty"
    for the workbook, the add-in and the engine."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return is_blank_text(value, dashes=dashes)


def blank_text_mask(values: Iterable[Any], *, dashes: bool = True) -> np.ndarray:
    """:func:`is_blank_text` of each value, as a boolean array: for a whole column at once."""
    texts = BLANK_TEXTS if dashes else BLANK_TEXTS - DASHES
    return np.fromiter((isinstance(v, str) and v.strip().lower() in texts for v in values), dtype=bool)
