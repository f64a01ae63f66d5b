"""Grades from totals: the scheme's bands, highest first, with a tolerance for binary floating point.

One function for the computed grade (:mod:`kpi_engine.scoring`) and the grade of a total after
HR's adjustment (:mod:`kpi_engine.final`), so that both read a band the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import Scheme

GRADE_TOLERANCE = 1e-9  # a total of 84.99999999999999 is an A (≥ 85)


def grade_totals(total: pd.Series, scheme: Scheme) -> pd.Series:
    """The grade of each total: the first grade (highest first) whose minimum it reaches, the last
    grade when it reaches none; None where the total is NaN. Named ``grade``."""
    values = total.to_numpy(dtype=float)
    choices = [g for g, _ in scheme.grades]
    which = np.full(len(values), len(choices))  # the slot after the grades: None
    which[~np.isnan(values)] = len(choices) - 1  # the last grade when no minimum is reached
    for j in range(len(choices) - 1, -1, -1):  # the first reached wins: assigned last
        which[values >= scheme.grades[j][1] - GRADE_TOLERANCE] = j
    graded = np.array([*choices, None], dtype=object)[which]
    return pd.Series(graded, index=total.index, name="grade", dtype=object, copy=False)
