"""`kpi calibrate BOOK`: the calibration proposal, a column 建议等级 (``proposal``) in 得分.

The proposal is the grade each person would get if the scheme's limits (指标配置 #calibration)
were applied by rank within their scope, people with the same final total kept together
(:func:`kpi_engine.calibration.propose` states the rule). It is written into 得分 only, never into
HR's 校准 sheet: HR decides, the tool proposes.

得分 is a sheet compute owns and rebuilds on every compute, so the command runs the same pipeline
as ``kpi compute`` (every result sheet stays consistent with the same data) with the proposal
switched on, and records that in the hidden meta sheet (``proposal = on``): every later compute
rebuilds the column from its own data, so it never shows grades of an older state of the book.
``--clear`` switches it off again. In place, like compute, or into ``-o NEW.xlsx`` (an existing
file is not replaced unless ``--force``: the next free name is used and printed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kpi_engine.i18n import tr

from ..ooxml import unused_path
from ..pipeline.final_results import proposal_text
from .terminal import OK, PROBLEMS, progress


def arguments(s: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    s.add_argument("workbook")
    s.add_argument("-o", "--output", help=tr("cli.help_output_new_file"))
    s.add_argument("--clear", action="store_true", help=tr("cli.help_calibrate_clear"))
    s.add_argument("--force", action="store_true", help=tr("cli.help_force"))


def run(args: argparse.Namespace, lang: str | None) -> int:
    from .files import compute_file

    out = args.output
    if out and not args.force and unused_path(Path(out)) != Path(out):
        out = str(unused_path(Path(out)))
    outcome = compute_file(args.workbook, out, lang=lang, progress=progress(True), proposal=not args.clear)
    lang = outcome.lang
    print(outcome.summary.text(lang))
    print(proposal_text(outcome, cleared=args.clear))
    print(tr("cli.results_written", lang, path=out or args.workbook))
    return PROBLEMS if outcome.summary.errors else OK
