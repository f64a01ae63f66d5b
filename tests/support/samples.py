"""The scripts of samples/ (generate.py, make_exports.py) loaded as modules, for the tests that
compare the shipped files with what the scripts make."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def sample_script(filename: str) -> ModuleType:
    """samples/<filename> as a module (not installed: samples/ is package data, not code)."""
    spec = importlib.util.spec_from_file_location(f"samples_{Path(filename).stem}", SAMPLES / filename)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module
