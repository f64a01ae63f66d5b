"""A new rule type is one class in one place: registered here, in the test, it is checked, scored,
explained and described through the public API, and no module of the engine changes.

The rule: "threshold", 100 if the metric reaches ``x``, else 0 (the indicator's whole weight lost,
as one part with a reason of its own).
"""

from __future__ import annotations

import copy
import sys
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from support.rows import E001

from kpi_engine import SchemeError, expr, lang_of, scheme_from_dict, score
from kpi_engine.explain import fmt, num
from kpi_engine.rules import RULES, Outcome, Part, Rule, describe, register

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class Threshold(Rule):
    """100 if metric ≥ x, else 0."""

    name = "threshold"

    def check_spec(self, ind):
        self._need_metric(ind)
        self._number(ind, "x")

    def apply(self, ind, env):
        metric = expr.parse(ind.metric).evaluate(env).astype(float)
        below = metric < float(ind.params["x"])
        score = np.where(np.isnan(metric), np.nan, np.where(below, 0.0, 100.0))
        lost = Part(np.where(below, float(ind.weight), 0.0), self, {"value": metric})
        return Outcome(score, metric, [lost])

    def describe_parts(self, ind, scheme, lang):
        x = num(ind.params["x"])
        return [f"达到 {x} 得 100 分，否则 0 分" if lang_of(lang) == "zh" else f"100 from {x} up, else 0"]

    def part_reasons(self, ind, part, rows, lang, scheme):
        x = num(ind.params["x"])
        zh = lang_of(lang) == "zh"
        # part.lost: the weighted points the part cost (what every reason says)
        return [f"{ind.name(lang)} {num(v)} 未达到 {x} → 扣 {num(a)} 分" if zh else f"{ind.name(lang)} {num(v)} is under {x} → −{num(a)}"
                for v, a in zip(part.data["value"][rows].tolist(), part.lost[rows].tolist())]

    def explanations(self, ind, outcome, rows, lang, scheme):
        x = num(ind.params["x"])
        zh = lang_of(lang) == "zh"
        return [f"{ind.name(lang)} {num(m)} 达到 {x}，得 {fmt(s, '')} 分" if zh else f"{ind.name(lang)} {num(m)} reaches {x}: {fmt(s, '')}"
                for m, s in zip(outcome.metric[rows].tolist(), outcome.score[rows].tolist())]


@pytest.fixture
def threshold():
    """The rule type registered for the test, and gone after it."""
    assert "threshold" not in RULES
    register(Threshold)
    yield RULES["threshold"]
    del RULES["threshold"]


def scheme_dict(**params) -> dict:
    """The default scheme with 知识沉淀 (knowledge_sharing, weight 10: E001's largest loss) scored by the new rule."""
    data = tomllib.loads(resources.files("kpi_engine").joinpath("default_scheme.toml").read_text("utf-8"))
    data = copy.deepcopy(data)
    ind = next(i for i in data["indicators"] if i["id"] == "knowledge_sharing")
    ind["rule"], ind["params"], ind["weight"] = "threshold", params, 10
    return data


def rows() -> pd.DataFrame:
    return pd.DataFrame([E001, dict(E001, employee_id="E002", knowledge_docs=2)])  # E001 has 0 documents


def test_a_scheme_can_use_it_and_its_own_check_runs(threshold):
    scheme = scheme_from_dict(scheme_dict(x=1))
    assert scheme.indicator("knowledge_sharing").rule == "threshold"
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(scheme_dict())  # no x
    assert [(i.item, i.field) for i in exc.value.issues] == [("knowledge_sharing", "params.x")]
    assert "parameter x is missing" in str(exc.value)


def test_unknown_without_registering():
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(scheme_dict(x=1))
    assert [(i.item, i.field) for i in exc.value.issues] == [("knowledge_sharing", "rule")]


def test_it_scores_and_its_reasons_are_in_the_results(threshold):
    result = score(rows(), scheme=scheme_from_dict(scheme_dict(x=1)))
    assert result.scores["knowledge_sharing"].tolist() == [0.0, 100.0]
    ded = result.deductions.query("indicator == 'knowledge_sharing'")
    # 团队协作 15 = 5 + 5 + 3 + 10 (23): the 10 nominal points weigh 10 × 15/23 = 6.52
    scaled = "（满分 10 分按比例折算为 6.52）"
    assert ded[["employee_id", "amount", "reason"]].values.tolist() == [["E001", 10.0, f"知识沉淀 0 未达到 1 → 扣 6.52 分{scaled}"]]
    assert ded.lost.item() == pytest.approx(10 * 15 / 23)
    assert result.explain("E001", "knowledge_sharing") == f"知识沉淀 0 未达到 1 → 扣 6.52 分{scaled}；百分制得分 0"
    assert result.explain("E002", "knowledge_sharing") == "知识沉淀 2 达到 1，得 100 分"
    assert result.explain("E001", "knowledge_sharing", "en") == \
        "Knowledge sharing 0 is under 1 → −6.52 (its 10 points scaled to 6.52); score 0/100"
    guide = result.guide.query("employee_id == 'E001'")
    assert guide.indicator.iloc[0] == "knowledge_sharing"
    assert guide.reason.iloc[0] == f"知识沉淀 0 未达到 1 → 扣 6.52 分{scaled}；百分制得分 0"


def test_a_blank_metric_leaves_it_uncomputed_like_any_rule(threshold):
    result = score(pd.DataFrame([dict(E001, knowledge_docs=None)]), scheme=scheme_from_dict(scheme_dict(x=1)))
    assert np.isnan(result.scores.loc["E001", "knowledge_sharing"])
    assert ("missing", "knowledge_docs") in set(zip(result.problems.code, result.problems.field))
    assert result.explain("E001", "knowledge_sharing") == "数据不完整，无法计算"


def test_it_describes_itself_for_the_help_sheet(threshold):
    scheme = scheme_from_dict(scheme_dict(x=1))
    ind = scheme.indicator("knowledge_sharing")
    assert describe(ind, scheme, "zh") == "达到 1 得 100 分，否则 0 分"
    assert describe(ind, scheme, "en") == "100 from 1 up, else 0"
    penalised = scheme_from_dict({**scheme_dict(x=1), "indicators": [
        {**i, "penalty": True} if i["id"] == "knowledge_sharing" else i for i in scheme_dict(x=1)["indicators"]]})
    assert describe(penalised.indicator("knowledge_sharing"), penalised, "zh") == \
        "达到 1 得 100 分，否则 0 分；扣分项：扣分可超过权重，超出部分从总分扣除"
