"""The `kpi` command line (placeholder until the workbook commands land)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("kpi: the workbook commands are not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
