"""KPI scoring engine for e-commerce operations teams.

DataFrames in, DataFrames out: the engine knows nothing of files, cells or Excel.

What it offers:

- :func:`score` scores every employee of a frame under a scheme for a period, and returns a
  :class:`ScoreResult`: scores, points, group subtotals, total, grade and flags per employee;
  the problems found in the data (one row each, with a stable code); the deductions and the
  improvement guide with their reasons in numbers, and ``explain(employee, indicator)``.
- The scheme as data: :func:`default_scheme` (the shipped one), :func:`load_scheme` (a TOML
  file), :func:`scheme_from_dict` (any dict, e.g. the workbook's configuration sheet); each
  checks the scheme and gives a :class:`Scheme`, or raises a :class:`SchemeError` listing every
  problem, located.
- The year from its periods: :func:`annual` (per person, the periods' final totals weighted into
  an annual total and grade, trend and flags across periods), :func:`conditions` (a flag's
  condition over one period's inputs), :func:`period_clashes`, :func:`period_weight`.
- Periods: :func:`parse_period` ("2026-11", "2026-Q4", "2026-H2", "2026") gives a
  :class:`Period`; :data:`DEFAULT_PERIOD` is the period when none is given.
- The product's vocabularies: :func:`lang_of` (which language a user reads, "zh" unless English
  is asked for), :func:`parse_number` (a number typed as text: "¥1,000", "85%", "８５％",
  "243万"), :func:`normalize_id` (an employee id as text), and :class:`KpiError`, the one error
  type a user can cause, with a code and the message in both languages; the engine's own are
  :class:`SchemeError`, :class:`InputError`, :class:`PeriodError` and :class:`ExprError`.

>>> from kpi_engine import score, default_scheme
>>> result = score(inputs, period="2026-Q4")   # doctest: +SKIP
"""

from .errors import KpiError
from .expr import ExprError
from .i18n import lang_of
from .inputs import InputError, normalize_id
from .model import Scheme, SchemeIssue
from .numbers import parse_number
from .periods import DEFAULT_PERIOD, Period, PeriodError, parse_period
from .rollup import RollupError, annual, period_clashes, period_weight
from .scheme import SchemeError, default_scheme, load_scheme, scheme_from_dict
from .scoring import ScoreResult, conditions, grades_of, score

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_PERIOD",
    "ExprError",
    "InputError",
    "KpiError",
    "Period",
    "PeriodError",
    "RollupError",
    "Scheme",
    "SchemeError",
    "SchemeIssue",
    "ScoreResult",
    "default_scheme",
    "lang_of",
    "load_scheme",
    "normalize_id",
    "parse_number",
    "parse_period",
    "scheme_from_dict",
    "score",
    "annual",
    "conditions",
    "grades_of",
    "period_clashes",
    "period_weight",
    "__version__",
]
