"""The message catalogs (kpi_engine/locale/zh.toml and en.toml): the same keys in both, the same
{fields} per key, plain fields only, every key the product's source names exists (the engine's,
the workbook's and the add-in's), and every key exists for a reason (some code names it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from string import Formatter

import pytest

import kpi_engine
from kpi_engine.expr import FUNCTIONS, PERIOD_NAMES
from kpi_engine.i18n import catalog, fill, lang_of, tr
from kpi_engine.model import DIRECTIONS, GAPS, ROUNDINGS
from kpi_engine.problems import CODES

ZH, EN = catalog("zh"), catalog("en")
ROOT = Path(kpi_engine.__file__).resolve().parents[1]
SOURCE = {str(p.relative_to(ROOT)): ast.parse(p.read_text("utf-8"))
          for folder in ("kpi_engine", "kpi_workbook", "addin") for p in (ROOT / folder).rglob("*.py")}


def fields(text: str) -> list[tuple[str, str, str | None]]:
    return [(name, spec, conv) for _, name, spec, conv in Formatter().parse(text) if name is not None]


def test_both_catalogs_have_the_same_keys():
    assert sorted(set(ZH) - set(EN)) == [] and sorted(set(EN) - set(ZH)) == []


@pytest.mark.parametrize("key", sorted(ZH))
def test_same_fields_in_both_languages(key):
    assert sorted({f for f, _, _ in fields(ZH[key])}) == sorted({f for f, _, _ in fields(EN[key])}), key


@pytest.mark.parametrize("key", sorted(ZH))
def test_fields_are_plain_names(key):
    """No format spec or conversion: the code formats numbers in their unit before they go in."""
    for text in (ZH[key], EN[key]):
        for name, spec, conv in fields(text):
            assert name.isidentifier() and not spec and conv is None, (key, text)


# ----------------------------------------------------------- keys named in the source ---
def _strings(node: ast.AST) -> list[str]:
    """The string constants a key argument can be (``"a" if x else "b"`` gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _pattern(node: ast.AST) -> str | None:
    """An f-string key as a regex: its literal parts, anything for its fields."""
    if not isinstance(node, ast.JoinedStr):
        return None
    return "".join(re.escape(v.value) if isinstance(v, ast.Constant) else r"\w+" for v in node.values)


# (how the call is recognised) -> (which argument is the key, the section it lives in)
def _key_argument(call: ast.Call) -> tuple[ast.AST, str] | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
    args = call.args
    if name in ("tr", "both", "template") and args:
        return args[0], ""
    if name == "of" and owner == "ExprError" and args:
        return args[0], "formula."
    if name == "of" and owner in ("KpiError", "InputError", "PeriodError") and args:
        return args[0], "error."
    if name == "of" and owner in ("PdfError", "RollupError") and args:  # errors of the report and rollup sections
        return args[0], {"PdfError": "report.", "RollupError": "rollup."}[owner]
    if name == "of" and owner == "AddinInstallError" and args:
        return args[0], "addin_install."
    if name == "of" and owner == "SchemeIssue" and len(args) >= 3:
        return args[2], "scheme."
    if name == "err" and owner == "self" and len(args) >= 3:  # scheme checking
        return args[2], "scheme."
    if name == "own" and owner == "self" and len(args) >= 3:  # scheme checking, the optional sections
        return args[2], "report.scheme_"
    if name == "RuleSpecError" and len(args) >= 2:
        return args[1], "scheme."
    # the workbook's and the add-in's helpers, each for one section
    helpers = {"workbook_error": "workbook_error.", "t": "label.", "label": "label.", "msg": "udf.",
               "arg_name": "udf.what_", "both_langs": "cli.", "_section": "help.", "_head": "help.",
               "report_error": "report.", "say": "report.", "rollup_error": "rollup.", "_word": "rollup."}
    if name in helpers and args:
        return args[0], helpers[name]
    if name == "text" and not owner and args:  # the add-in's messages
        return args[0], "addin."
    if name == "Command" and len(args) >= 2:  # a command's help
        return args[1], "cli."
    if name in ("_macro", "run_macro") and args:  # the add-in's macros are named by their message key
        return args[0], "addin."
    return None


def _passes_through(pattern: str) -> bool:
    """True for an f-string key that is a section and a whole name (``f"scheme.{key}"``,
    ``f"{section}.{code}"``): a helper handing a key on, not a key of its own."""
    parts = re.split(r"\\w\+", pattern)  # the literal parts between the fields
    return pattern.endswith(r"\w+") and all(p in ("", r"\.") or re.fullmatch(r"\w+\\\.", p) for p in parts)


def _named_keys() -> tuple[set[str], set[str]]:
    """(keys named literally, regexes of keys named by f-strings) in the engine's source.

    An f-string that is a whole key passed through (``both(f"scheme.{key}")`` in a helper) names
    no key by itself: the callers of the helper do, and those are collected instead. So are the
    problem codes given to the problems table (``add("missing", …)``, ``("above_max", mask)``)."""
    literal, patterns = set(), set()
    for tree in SOURCE.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if (found := _key_argument(node)) is not None:
                arg, section = found
                literal.update(section + s for s in _strings(arg))
                pattern = _pattern(arg)
                if pattern is not None and not _passes_through(pattern):
                    patterns.add(re.escape(section) + pattern)
    for module, tree in SOURCE.items():  # problem codes: given to the problems table by name, outside problems.py
        if not module.endswith("problems.py"):
            literal.update(f"problem.{node.value}" for node in ast.walk(tree) if isinstance(node, ast.Constant)
                           and isinstance(node.value, str) and f"problem.{node.value}" in ZH)
    return literal, patterns


def test_the_source_names_keys():
    literal, patterns = _named_keys()
    assert {"reason.incomplete", "scheme.weight", "formula.empty", "error.period", "scheme.needs_metric",
            "problem.missing", "problem.zero_expression", "expected.rate"} <= literal
    assert {r"rule\.check_\w+", r"reason\.gap_\w+"} <= patterns
    assert not any(p.endswith(r"\.\w+") for p in patterns), patterns  # pass-through helpers name no key


def test_every_key_named_in_the_source_exists():
    literal, patterns = _named_keys()
    assert sorted(k for k in literal if k not in ZH) == []
    assert sorted(p for p in patterns if not any(re.fullmatch(p, k) for k in ZH)) == []


def _result_columns() -> set[str]:
    """The column ids of the result sheets (their machine row), whose labels are label.<id>."""
    import pandas as pd
    from support.rows import E001

    from kpi_engine import score
    from kpi_workbook.pipeline import results

    result = score(pd.DataFrame([E001]))
    roster = pd.DataFrame({"name": ["x"], "team": ["t"]}, index=["E001"])
    blocks = [results.scores_block(result, roster, "zh"), results.deductions_block(result, roster, "zh"),
              results.guide_block(result, roster, "zh"), results.summary_block(result, roster, "zh"),
              results.problems_block([], "zh")]
    return {str(v) for b in blocks for v in b.rows[1] if v is not None}


def test_every_key_is_used():
    literal, patterns = _named_keys()
    literal |= {f"words.{name}" for name in (*FUNCTIONS, *PERIOD_NAMES)}  # formula_words names them all
    literal |= {f"label.{c}" for c in _result_columns()}  # the result sheets' columns, by their ids
    unused = [k for k in ZH if k not in literal and not any(re.fullmatch(p, k) for p in patterns)]
    assert unused == []


def test_every_problem_code_has_a_message_and_is_used():
    literal, _ = _named_keys()
    used = {k.split(".", 1)[1] for k in literal if k.startswith("problem.")}
    assert used == set(CODES)


def test_keys_made_from_vocabularies_exist():
    """Keys built from a value (f"rule.check_{direction}") exist for every value it can have."""
    expected = ([f"problem.{c}" for c in CODES] + [f"words.{f}" for f in (*FUNCTIONS, *PERIOD_NAMES)]
                + [f"{s}.check_{d}" for s in ("rule", "reason") for d in DIRECTIONS]
                + [f"rule.step_{g}" for g in GAPS] + [f"reason.gap_{g}" for g in GAPS]
                + [f"rule.rounding_{r}" for r in ROUNDINGS])
    assert [k for k in expected if k not in ZH] == []


# ---------------------------------------------------------------- the i18n functions ---
@pytest.mark.parametrize(("value", "lang"), [("zh", "zh"), ("en", "en"), ("EN-us", "en"), (" English", "en"),
                                             ("zh-CN", "zh"), (None, "zh"), (3, "zh"), ("", "zh"), ("fr", "zh")])
def test_lang_of(value, lang):
    assert lang_of(value) == lang


def test_fill_is_the_template_filled_per_row():
    key = "reason.check_below"
    rows = fill(ZH[key], label="推广费占比", value=["16.0%", "17.0%"], target=["15%", "15%"], gap=["1.0 个百分点", "2.0 个百分点"],
                lost=["2", "4"])
    assert rows == [tr(key, "zh", label="推广费占比", value=v, target="15%", gap=g, lost=a)
                    for v, g, a in (("16.0%", "1.0 个百分点", "2"), ("17.0%", "2.0 个百分点", "4"))]
    assert rows[0] == "推广费占比 16.0% 低于目标 15%，差 1.0 个百分点 → 扣 2 分"
    with pytest.raises(ValueError):
        fill(ZH["reason.plain"], name="x", score="y")  # no column given per row
