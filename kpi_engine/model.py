"""The engine's model: the scheme as typed, frozen data, and the vocabularies it is written in.

Everything here is plain data with no behaviour beyond lookups: :mod:`kpi_engine.scheme` builds
and checks a :class:`Scheme` from a dict, :mod:`kpi_engine.rules` scores it. Both import this
module and nothing here imports either, so the model sits at the bottom of the engine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from .i18n import both, lang_of

INPUT_KINDS = ("text", "choice", "money", "count", "rate", "rating", "number")
NUMERIC_KINDS = ("money", "count", "rate", "rating", "number")
DIRECTIONS = ("below", "above")
GAPS = ("points", "relative")
ROUNDINGS = ("floor", "ceil", "linear")
# how an export column is used (kpi_engine.sources): summed over days and shops, recomputed from
# summed parts by a formula, recognised but ignored (rates, averages), or the row's date / shop
SOURCE_USES = ("sum", "recompute", "ignore", "date", "shop")
MAX_WEIGHT = 10_000  # points: a weight is points out of 100 (a company on a 1,000-point scale fits)
SCOPES = ("team", "all")  # where calibration limits apply: per team (small teams pooled) or to everyone
HEADCOUNT_ROUNDINGS = ("floor", "round", "ceil")  # a share of a headcount → a number of people
OVERRUNS = ("report", "scale")  # a team's pay over its pool: reported, or every pay line scaled down


def in_lang(obj: Any, field: str, lang: Any = "zh") -> str:
    """``obj``'s text ``field`` in ``lang``: its ``<field>_zh`` or ``<field>_en`` attribute."""
    return getattr(obj, f"{field}_zh" if lang_of(lang) == "zh" else f"{field}_en")


class Named:
    """Something with a name in each language (``name_zh``, ``name_en``)."""

    def name(self, lang: Any = "zh") -> str:
        return in_lang(self, "name", lang)


class Labelled:
    """A check or gate with an optional label in each language (``label_zh``, ``label_en``)."""

    def label(self, lang: Any = "zh") -> str:
        """Its label in ``lang``; "" when none is set (the reader then names it otherwise)."""
        return in_lang(self, "label", lang) or ""


@dataclass(frozen=True)
class SchemeIssue:
    """One problem in a scheme: where (item, field), what, and how bad ("error" or "warning")."""

    item: str
    field: str
    message_zh: str
    message_en: str
    severity: str = "error"
    key: str = ""  # its message's catalog key (scheme.<key>), when it has one: what kind of issue it is

    @classmethod
    def of(cls, item: str, field: str, key: str, /, severity: str = "error", **fields: Any) -> SchemeIssue:
        """The issue whose message is ``scheme.<key>`` in the catalogs, ``fields`` filled in."""
        zh, en = both(f"scheme.{key}", **fields)
        return cls(item, field, zh, en, severity, key)

    def text(self, lang: Any = "zh") -> str:
        """``item.field: message`` in the user's language."""
        msg = in_lang(self, "message", lang)
        return f"{self.item}.{self.field}: {msg}" if self.field else f"{self.item}: {msg}"


@dataclass(frozen=True)
class InputField(Named):
    id: str
    name_zh: str
    name_en: str
    kind: str
    owner: str = "roster"
    required: bool = False
    positive: bool = False
    min: float | None = None
    max: float | None = None
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    open_choice: bool = False
    carry: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def bounds(self) -> tuple[float | None, float | None]:
        """(min, max) implied by the kind unless set explicitly."""
        lo, hi = self.min, self.max
        if self.kind in ("money", "count", "rate", "rating") and lo is None:
            lo = 0.0
        if self.kind == "rate" and hi is None:
            hi = 1.0
        if self.kind == "rating" and hi is None:
            hi = 10.0
        return lo, hi


@dataclass(frozen=True)
class Constraint:
    check: str
    field: str
    expected_zh: str
    expected_en: str

    def expected(self, lang: Any = "zh") -> str:
        return in_lang(self, "expected", lang)


@dataclass(frozen=True)
class Group(Named):
    id: str
    name_zh: str
    name_en: str
    weight: float
    parent: str = ""


@dataclass(frozen=True)
class Check(Labelled):
    """One deduction of a deduct rule: metric vs target, per step of the gap."""

    metric: str
    target: str
    direction: str = "below"
    gap: str = "points"
    step: float = 1.0
    points: float = 1.0
    rounding: str = "floor"
    unit: str = "%"
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class Gate(Labelled):
    """Score 0 unless ``metric`` ≥ ``min`` (e.g. organic share ≥ 60%)."""

    metric: str
    min: float
    unit: str = "%"
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class Indicator(Named):
    id: str
    name_zh: str
    name_en: str
    group: str
    weight: float
    rule: str
    metric: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    gate: Gate | None = None
    penalty: bool = False
    unit: str = ""
    advice_zh: str = ""
    advice_en: str = ""

    def advice(self, lang: Any = "zh") -> str:
        return in_lang(self, "advice", lang)


@dataclass(frozen=True)
class Flag(Named):
    id: str
    name_zh: str
    name_en: str
    when: str


@dataclass(frozen=True)
class RollupFlag(Named):
    """A flag of the year's view (``kpi rollup``): ``when`` (a condition over one period's inputs,
    as a flag's) holds in ``periods`` consecutive periods."""

    id: str
    name_zh: str
    name_en: str
    when: str
    periods: int = 2


# The settings of the section ``report`` (scorecards and the year's view) and their defaults;
# a setting left out means its default (None: switched off).
REPORT_SETTINGS: Mapping[str, float | None] = {
    "appeal_days": None,  # days after the period's end to appeal; none: no deadline on the scorecards
    "trend_change": 2.0,  # points between the first and the last period that make a trend rising/falling
}
# What a key of ``period_weights`` may be: Q1–Q4, H1–H2 or a month 01–12 (no year: the scheme is reused)
PERIOD_KEY = r"^(Q[1-4]|H[12]|0[1-9]|1[0-2])$"
MISSING_PERIODS = "missing_periods"  # the flag of a person scored on fewer periods of the year (reserved id)


@dataclass(frozen=True)
class Source:
    """One column of a platform's export: the header names it arrives under, the export field it
    is (shared by the platforms: ``visitors``, ``sales`` …), the input it fills ("" for none: a
    part of a formula, or a column recognised and left out) and how the rows combine (``use``,
    one of :data:`SOURCE_USES`; ``formula`` over field ids for ``recompute``). ``note_*`` says
    where the platform's meaning differs from ours (shown on the help sheet and in fill's report)."""

    field: str
    headers: tuple[str, ...]
    use: str = "sum"
    input: str = ""
    formula: str = ""
    platform: str = ""
    note_zh: str = ""
    note_en: str = ""

    def note(self, lang: Any = "zh") -> str:
        return in_lang(self, "note", lang)


@dataclass(frozen=True)
class GradeLimit:
    """At most ``max_share`` (0.10 = 10 %) of a scope's graded people may hold one of ``grades``."""

    grades: tuple[str, ...]
    max_share: float

    def label(self) -> str:
        return "+".join(self.grades)


@dataclass(frozen=True)
class Calibration:
    """Grade share limits after the scores (绩效校准): where they apply and how a share of a
    headcount becomes a number of people. See :mod:`kpi_engine.calibration`."""

    enabled: bool = True
    scope: str = "team"
    min_team_size: int = 10  # a team with fewer graded people is pooled with the other small teams
    rounding: str = "floor"
    limits: tuple[GradeLimit, ...] = ()

    @property
    def active(self) -> bool:
        return self.enabled and bool(self.limits)


@dataclass(frozen=True)
class Pay:
    """Performance pay (绩效工资): base (an input column) × the final grade's coefficient, against an
    optional pool per team. See :mod:`kpi_engine.pay`."""

    enabled: bool = True
    base: str = "pay_base"
    overrun: str = "report"
    coefficients: Mapping[str, float] = field(default_factory=dict)
    pools: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Scheme:
    """A checked scheme. ``effective_weight`` holds each indicator's scaled weight."""

    meta: Mapping[str, str]
    inputs: tuple[InputField, ...]
    constraints: tuple[Constraint, ...]
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]
    lookups: Mapping[str, Mapping[str, float]]
    grades: tuple[tuple[str, float], ...]
    flags: tuple[Flag, ...]
    seasonal: Mapping[str, float]
    effective_weight: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[SchemeIssue, ...] = ()
    sources: tuple[Source, ...] = ()  # export columns (kpi fill); absent in a scheme: the shipped ones
    calibration: Calibration | None = None  # None: the scheme has no such section (off)
    pay: Pay | None = None  # None: the scheme has no such section (off)
    # optional sections (a scheme without them is as before): scorecards and the year's view
    report: Mapping[str, float] = field(default_factory=dict)
    period_weights: Mapping[str, float] = field(default_factory=dict)
    rollup_flags: tuple[RollupFlag, ...] = ()

    # -- lookups -----------------------------------------------------------
    def input(self, field_id: str) -> InputField:
        return self._inputs_by_id[field_id]

    @cached_property
    def _inputs_by_id(self) -> dict[str, InputField]:  # asked once per problem row: built once
        return {f.id: f for f in self.inputs}

    def indicator(self, indicator_id: str) -> Indicator:
        return {i.id: i for i in self.indicators}[indicator_id]

    def group(self, group_id: str) -> Group:
        return {g.id: g for g in self.groups}[group_id]

    def top_group(self, group_id: str) -> Group:
        g = self.group(group_id)
        while g.parent:
            g = self.group(g.parent)
        return g

    def field_name(self, field_id: str, lang: Any = "zh") -> str:
        f = self._inputs_by_id.get(field_id)
        return f.name(lang) if f else field_id

    def setting(self, key: str) -> float | None:
        """A setting of the section ``report`` (see :data:`REPORT_SETTINGS`): its value, else its default."""
        return self.report.get(key, REPORT_SETTINGS[key])

    def to_dict(self) -> dict[str, Any]:
        """A plain dict that :func:`scheme_from_dict` reads back to an equal scheme."""
        data = asdict(self)
        data.pop("effective_weight")
        data.pop("warnings")
        for key in OPTIONAL_SECTIONS:  # an optional section left out: the fingerprint is as before it existed
            if not data[key]:
                data.pop(key)
        data["grades"] = [{"grade": g, "min": m} for g, m in self.grades]
        for section in ("calibration", "pay"):  # an absent section stays absent: older fingerprints hold
            if data[section] is None:
                data.pop(section)
        for ind in data["indicators"]:
            if ind["gate"] is None:
                ind.pop("gate")
        return _jsonable(data)

    def fingerprint(self) -> str:
        """A short hash that changes whenever any rule, weight or threshold changes (computed once
        per scheme: the compiled plans are cached by it, :func:`kpi_engine.plan.plan_for`)."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


OPTIONAL_SECTIONS = ("report", "period_weights", "rollup_flags")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
