"""Appraisal periods: a month (2026-11), quarter (2026-Q4), half-year (2026-H2) or year."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import KpiError

DEFAULT_PERIOD = "2026-Q4"  # the period when none is given (parse_period(None), score())

_PATTERNS = (
    (re.compile(r"^(\d{4})-?Q([1-4])$", re.I), "quarter", 3),
    (re.compile(r"^(\d{4})-?H([12])$", re.I), "half", 6),
    (re.compile(r"^(\d{4})-(0?[1-9]|1[0-2])$"), "month", 1),
    (re.compile(r"^(\d{4})$"), "year", 12),
)


class PeriodError(KpiError, ValueError):
    """A period label that is not one of the accepted forms (code ``period``)."""


@dataclass(frozen=True)
class Period:
    year: int
    kind: str  # month | quarter | half | year
    index: int  # month 1-12, quarter 1-4, half 1-2, year 1

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        if self.kind == "half":
            return f"{self.year}-H{self.index}"
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        return f"{self.year}"

    def __str__(self) -> str:
        return self.label

    @property
    def first_month(self) -> int:
        """The calendar month (1-12) the period starts in."""
        return 1 if self.kind == "year" else (self.index - 1) * self.months + 1

    @property
    def end(self) -> dt.date:
        """The period's last day."""
        last = self.first_month + self.months - 1
        return dt.date(self.year + last // 12, last % 12 + 1, 1) - dt.timedelta(days=1)

    @property
    def key(self) -> str:
        """The period without its year, as the scheme's period tables name it: Q4, H2, 11 (a year: "")."""
        return self.label[5:]

    def quarters_covered(self) -> tuple[int, ...]:
        """The calendar quarters (1-4) this period lies in."""
        months = range(self.first_month, self.first_month + self.months)
        return tuple(sorted({(m - 1) // 3 + 1 for m in months}))

    @property
    def first_day(self) -> dt.date:
        """The period's first calendar day (2026-Q4: 2026-10-01)."""
        return dt.date(self.year, 1 if self.kind == "year" else (self.index - 1) * self.months + 1, 1)

    @property
    def last_day(self) -> dt.date:
        """The period's last calendar day (2026-Q4: 2026-12-31)."""
        following = self.next().first_day if self.kind != "year" else dt.date(self.year + 1, 1, 1)
        return following - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        """Calendar days in the period (2026-Q4: 92)."""
        return (self.last_day - self.first_day).days + 1

    def next(self) -> Period:
        per_year = 12 // self.months
        if self.index < per_year:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)


def parse_period(text: str | Period | None) -> Period:
    """Parse '2026-Q4', '2026-11', '2026-H2' or '2026' (spaces around and a lower-case q or h
    allowed); None means :data:`DEFAULT_PERIOD`. Raises :class:`PeriodError` for anything else."""
    if isinstance(text, Period):
        return text
    if text is None:
        text = DEFAULT_PERIOD
    raw = str(text).strip()
    for pattern, kind, _ in _PATTERNS:
        m = pattern.match(raw)
        if m:
            index = int(m.group(2)) if kind != "year" else 1
            return Period(int(m.group(1)), kind, index)
    raise PeriodError.of("period", period=repr(raw))
