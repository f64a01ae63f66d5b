"""Render the README's scorecard image: `kpi demo` in a scratch folder, then one sample person's
PDF scorecard as a PNG (poppler's pdftoppm), written to docs/scorecard.png.

    .venv/bin/python tools/scorecard_image.py [--person E1008] [--dpi 70] [-o docs/scorecard.png]

Needs LibreOffice (for the PDF) and poppler-utils (pdftoppm), as the tests do.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from kpi_workbook.commands.demo import run_demo

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--person", default="E1008", help="a sample person of kpi demo's scorecards")
    p.add_argument("--dpi", type=int, default=70)
    p.add_argument("-o", "--output", default=str(ROOT / "docs" / "scorecard.png"))
    args = p.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm (poppler-utils) is needed")
    with tempfile.TemporaryDirectory(prefix="kpi_card_") as tmp:
        with contextlib.redirect_stdout(io.StringIO()):
            run_demo(Path(tmp))
        pdf = next((Path(tmp) / "scorecards").glob(f"{args.person}_*.pdf"), None)
        if pdf is None:
            raise SystemExit(f"no PDF scorecard of {args.person} (is LibreOffice installed?)")
        stem = Path(tmp) / "card"
        subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), "-singlefile", str(pdf), str(stem)], check=True)
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stem.with_suffix(".png"), out)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
