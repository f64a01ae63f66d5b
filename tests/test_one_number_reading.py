"""One reading of numbers typed as text, everywhere: the engine's input cleaning, the cell
functions, the scheme sheet and the roster reader give the same number for each text, and
refuse the same texts (issue 9: they had drifted apart in four hand-written parsers)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from support.rows import E001

from kpi_engine import default_scheme, score
from kpi_workbook.pipeline.roster import roster_frame
from kpi_workbook.pipeline.scheme_reader import read_config
from kpi_workbook.sheets.scheme_sheet import write_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "addin"))
import kpi_udf_core as udf  # noqa: E402

TEXTS = {  # text -> the number every reader gives (None: not a number, refused)
    "¥1,000": 1000.0, "￥1,000": 1000.0, "1,234.5": 1234.5, "85%": 0.85, "８５％": 0.85, "3.02％": 0.0302,
    "７２０２": 7202.0, "243万": 2_430_000.0, "1.2亿": 120_000_000.0, " 7 ": 7.0, "12%": 0.12, "1，000": 1000.0,
    "abc": None, "1e400": None, "12 个": None, "2026-10-01": None,
}


def engine(text: str) -> float | None:
    """sales_target read by score(); a refused text is a not_a_number problem."""
    result = score(pd.DataFrame([dict(E001, sales_target=text)]))
    refused = result.problems.query("field == 'sales_target' and code == 'not_a_number'")
    if len(refused):
        return None
    m = result.metrics.loc["E001", "sales_achievement"]
    return E001["sales_actual"] / m


def cell_function(text: str) -> float | None:
    try:
        return udf.number(text, "value")
    except udf.UdfError:
        return None


def scheme_sheet(text: str) -> float | None:
    """A lookup value typed in 指标配置 (a number column), read back."""
    from openpyxl import Workbook

    ws = Workbook().active
    write_config(ws, default_scheme())
    grid = [[c.value for c in row] for row in ws.iter_rows()]
    r = next(i for i, row in enumerate(grid) if row[:2] == ["turnover_per_quarter", "apparel"])
    grid[r][2] = text
    scheme, problems = read_config(grid, "指标配置")
    return None if scheme is None else scheme.lookups["turnover_per_quarter"]["apparel"]


def roster(text: str) -> float | None:
    value = roster_frame(pd.DataFrame({"工号": ["E1"], "目标销售额": [text]}))["sales_target"][0]
    return value if isinstance(value, float) else None


@pytest.mark.parametrize("text", list(TEXTS))
def test_every_reader_gives_the_same_number(text):
    want = TEXTS[text]
    got = {"engine": engine(text), "cell function": cell_function(text), "scheme sheet": scheme_sheet(text),
           "roster": roster(text)}
    for where, value in got.items():
        if want is None:
            assert value is None, (where, value)
        else:
            assert value is not None and math.isclose(value, want, rel_tol=1e-12), (where, value)


@pytest.mark.parametrize("text", ["-", "—", "  ", "nan"])
def test_a_dash_or_nothing_in_a_number_cell_is_a_blank_everywhere(text):
    result = score(pd.DataFrame([dict(E001, sales_target=text)]))
    assert set(result.problems.query("field == 'sales_target'").code) == {"missing"}
    with pytest.raises(udf.UdfError, match="为空"):
        udf.number(text, "value")
    assert scheme_sheet(text) is None  # a blank lookup value is refused as missing, not misread
