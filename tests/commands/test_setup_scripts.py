"""The Windows installer for non-programmers (issue 14 item 7): setup/kpi-setup.bat runs
setup/kpi-setup.ps1. Neither Windows nor PowerShell is here, so these tests check what breaks such
scripts on a Chinese Windows before a line runs, and that what they call exists:

- the .bat is ASCII with CRLF line ends (cmd.exe misreads LF-only batch files) and runs the .ps1
  beside it for this run only (-ExecutionPolicy Bypass), passing the user's arguments on;
- the .ps1 is UTF-8 *with* a BOM and CRLF: Windows PowerShell 5.1 reads a script without a BOM in
  the ANSI code page, which turns its Chinese messages into mojibake and can break its strings;
- the wheel name it looks for is the one pip builds from pyproject, the Python floor is
  pyproject's, every `kpi` command it runs parses with the real command line, and every file it
  refers the user to is in the release folder `make release` makes.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from kpi_workbook.commands.cli import main

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
BAT = ROOT / "setup" / "kpi-setup.bat"
PS1 = ROOT / "setup" / "kpi-setup.ps1"


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def script() -> str:
    return PS1.read_bytes()[3:].decode("utf-8")


def test_the_batch_file_is_ascii_crlf_and_runs_the_script_beside_it():
    data = BAT.read_bytes()
    data.decode("ascii")  # raises on anything else
    assert data.count(b"\n") == data.count(b"\r\n") > 3
    text = data.decode("ascii")
    assert re.search(r'powershell\.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0kpi-setup\.ps1" %\*', text)
    assert "pause" in text  # the window stays open: a double-clicking user reads the outcome


def test_the_script_is_utf8_with_bom_and_crlf():
    data = PS1.read_bytes()
    assert data[:3] == b"\xef\xbb\xbf"
    assert data.count(b"\n") == data.count(b"\r\n") > 50
    assert re.search(r"[\u4e00-\u9fff]", data[3:].decode("utf-8"))  # why the BOM matters


def test_the_wheel_it_looks_for_is_the_one_pip_builds(script, pyproject):
    wheel_stem = re.sub(r"[-_.]+", "_", pyproject["project"]["name"])  # the wheel spec's escaping
    assert f'-Filter "{wheel_stem}-*.whl"' in script


def test_the_python_floor_is_pyprojects(script, pyproject):
    floor = re.search(r">=\s*([\d.]+)", pyproject["project"]["requires-python"]).group(1)
    assert f'$MinPython = [version]"{floor}"' in script


def test_every_kpi_command_it_runs_exists(script):
    calls = re.findall(r"^\s*& \$Kpi ([^\r\n|;]+)", script, re.M)
    assert calls, "the script runs kpi"
    for call in calls:
        out = io.StringIO()
        with redirect_stdout(out):
            code = main([*call.split(), "--help"])  # 2 for an unknown command; --help runs nothing
        assert code == 0 and "usage: kpi " + call.split()[0] in out.getvalue(), call


def test_the_mirror_reaches_pip_and_the_store_alias_is_skipped(script):
    assert '$Index = @("--index-url", $url)' in script and "pip install" in script and "@Index" in script
    for url in re.findall(r'"(https://[^"]+)"', script.split("$Mirrors = @{")[1].split("}")[0]):
        assert url.startswith("https://") and "simple" in url
    assert r'-like "*\WindowsApps\*"' in script


def test_the_vba_trust_setting_is_put_back(script):
    """The one machine setting it touches is restored in a finally block, whatever happened."""
    set_at = script.index("Set-ItemProperty -Path $Security -Name AccessVBOM -Value 1")
    finally_at = script.index("} finally {", set_at)
    assert "-Value $before" in script[finally_at:] and "Remove-ItemProperty" in script[finally_at:]


def test_the_release_folder_holds_every_file_the_script_names(script):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrelease:")[1].split("\n\n")[0]
    shipped = {Path(p).name for p in re.findall(r"(?:setup|docs)/[\w.-]+", recipe)}
    assert {"kpi-setup.bat", "kpi-setup.ps1"} <= shipped
    named = set(re.findall(r"[\w-]+\.md", script))
    assert named and named <= shipped, named - shipped
    for doc in named:
        assert (ROOT / "docs" / doc).is_file()
