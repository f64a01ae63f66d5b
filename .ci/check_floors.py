"""make test-oldest: fail unless every runtime dependency is installed at the floor pyproject declares.

The constraints file pins the floors; this checks the result against pyproject.toml itself, so
that raising a floor there without re-pinning (or the reverse) cannot pass unnoticed.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def main() -> int:
    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text("utf-8"))["project"]
    wrong = []
    print(f"Python {sys.version.split()[0]}")
    for spec in project["dependencies"]:
        req = Requirement(spec)
        if req.marker and not req.marker.evaluate():
            print(f"  {req.name}: not needed here ({req.marker})")
            continue
        floors = [s.version for s in req.specifier if s.operator == ">="]
        if len(floors) != 1:
            wrong.append(f"{req.name}: no single >= floor in {spec!r}")
            continue
        installed = version(req.name)
        print(f"  {req.name} {installed} (declared >= {floors[0]})")
        if Version(installed) != Version(floors[0]):
            wrong.append(f"{req.name} {installed} installed, but the declared floor is {floors[0]}")
    requires = project["requires-python"]
    if not requires.startswith(">=") or sys.version_info[:2] != Version(requires[2:]).release[:2]:
        print(f"WARNING: Python {sys.version.split()[0]} is not the oldest declared ({requires})", file=sys.stderr)
    for line in wrong:
        print(f"ERROR: {line}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
