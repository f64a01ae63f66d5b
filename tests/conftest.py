"""Shared fixtures: the spec's worked example row (shared/spec/scoring.md §7).

openpyxl writes XML through lxml when lxml is importable (Anaconda ships it). `make test` runs
without lxml installed, `make test-lxml` with it (see the Makefile); tests that need the other
form of a workbook make it in a subprocess (tests/support/producers.py), and the lxml form is
skipped, saying so, where lxml is not installed.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest
from support.rows import E001


def pytest_configure(config: pytest.Config) -> None:
    """The Makefile says which XML library openpyxl must use (KPI_EXPECT_LXML=1 in make test-lxml,
    0 in make test): a leg of the test matrix that silently runs on the other one fails at once."""
    expect = os.environ.get("KPI_EXPECT_LXML")
    if expect is None:
        return
    import openpyxl.xml

    if openpyxl.xml.LXML != (expect == "1"):
        raise pytest.UsageError(
            f"KPI_EXPECT_LXML={expect} but openpyxl.xml.LXML is {openpyxl.xml.LXML} "
            f"(lxml installed: {openpyxl.xml.lxml_available()}, OPENPYXL_LXML={os.environ.get('OPENPYXL_LXML')!r})"
        )


@pytest.fixture
def e001() -> dict:
    return dict(E001)


@pytest.fixture
def e001_frame() -> pd.DataFrame:
    return pd.DataFrame([E001])
