"""KPI scoring engine for e-commerce operations teams.

DataFrames in, DataFrames out: the engine knows nothing of files, cells or Excel.

>>> from kpi_engine import score, default_scheme
>>> result = score(inputs, period="2026-Q4")   # doctest: +SKIP
"""

from .expr import ExprError
from .inputs import InputError, normalize_id
from .model import Scheme, SchemeIssue
from .numbers import parse_number
from .periods import Period, PeriodError, parse_period
from .scheme import SchemeError, default_scheme, load_scheme, scheme_from_dict
from .scoring import ScoreResult, score

__version__ = "0.1.0"

__all__ = [
    "ExprError",
    "InputError",
    "Period",
    "PeriodError",
    "Scheme",
    "SchemeError",
    "SchemeIssue",
    "ScoreResult",
    "default_scheme",
    "load_scheme",
    "normalize_id",
    "parse_number",
    "parse_period",
    "scheme_from_dict",
    "score",
    "__version__",
]
