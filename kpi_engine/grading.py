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
    """The grade of each total (None where the total is NaN), named ``grade``."""
    values = total.to_numpy(dtype=float)
    conditions = [values >= m - GRADE_TOLERANCE for _, m in scheme.grades]
    choices = [g for g, _ in scheme.grades]
    graded = np.select(conditions, choices, default=choices[-1]).astype(object)
    graded[np.isnan(values)] = None
    return pd.Series(graded, index=total.index, name="grade", dtype=object)
