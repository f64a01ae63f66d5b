"""`kpi compute` on the sample workbook as other producers write it (tests/support/producers.py):
openpyxl without and with lxml, LibreOffice, XlsxWriter, Excel (hand-written to Excel's form) and
the .NET Open XML SDK's prefixed main namespace. For each: the output is a sound package, every
part the user owned is byte-identical, the workbook root keeps every declaration it had, and the
scores are those of the plain sample workbook."""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support import producers
from support.package_check import assert_sound_package, part_closure, relationships, sheet_parts, workbook_part
from support.workbooks import sample_workbook, table

from kpi_workbook.commands.cli import main
from kpi_workbook.pipeline import load_scheme_from
from kpi_workbook.pipeline.file_source import FileSource
from kpi_workbook.pipeline.layout import layout

PRODUCERS = {
    "openpyxl": lambda base, folder: producers.openpyxl_sample(folder, lxml=False),
    "openpyxl_lxml": lambda base, folder: producers.openpyxl_sample(folder, lxml=True),
    "libreoffice": producers.libreoffice_resave,
    "xlsxwriter": producers.xlsxwriter_rebuild,
    "excel": producers.excel_style,
    "openxml_sdk_prefixed": producers.prefixed_main,
}
META, CONFIG, SCORES = layout().sheet("meta"), layout().sheet("config"), layout().sheet("scores")


@dataclass
class Computed:
    name: str
    source: Path  # the producer's workbook, untouched
    out: Path  # a copy of it, computed in place by `kpi compute --csv`
    csv: Path
    code: int
    messages: str


def compute(path: Path, csv: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["compute", str(path), "--csv", str(csv)])
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The filled sample workbook as openpyxl writes it without lxml: what the other producers re-write."""
    return producers.openpyxl_sample(tmp_path_factory.mktemp("base"), lxml=False)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """`kpi compute --csv` on the plain sample workbook: exit code, CSV bytes, the scores sheet."""
    folder = tmp_path_factory.mktemp("baseline")
    path = sample_workbook(folder)
    code, messages = compute(path, folder / "scores.csv")
    assert code == 1, messages  # the sample holds deliberate errors
    return code, (folder / "scores.csv").read_bytes(), table(path, SCORES)


_made: dict[str, Computed] = {}


def produce(name: str, base: Path, tmp_path_factory) -> Computed:
    """The producer's workbook and its computed copy, made once per session."""
    if name not in _made:
        folder = tmp_path_factory.mktemp(name)
        source = PRODUCERS[name](base, folder / "made")
        out = folder / ("computed" + source.suffix)
        shutil.copyfile(source, out)
        code, messages = compute(out, folder / "scores.csv")
        _made[name] = Computed(name, source, out, folder / "scores.csv", code, messages)
    return _made[name]


@pytest.fixture(scope="module", params=list(PRODUCERS))
def made(request, base, tmp_path_factory) -> Computed:
    return produce(request.param, base, tmp_path_factory)


def text(path: Path, part: str) -> str:
    return producers.members(path)[part].decode("utf-8")


def root_tag(path: Path) -> str:
    """The workbook.xml root start tag, found in the text (also when the XML is broken)."""
    return re.search(r"<(?:[\w.-]+:)?workbook\b[^>]*>", text(path, workbook_part(path)))[0]


def declarations(tag: str) -> dict[str, str]:
    return {prefix: uri for prefix, uri in re.findall(r'\sxmlns(?::([\w.-]+))?\s*=\s*"([^"]*)"', tag)}


# ---------------------------------------------------------------- the fixtures are what they claim

SIGNATURES = {  # producer -> what its workbook.xml / other parts must show
    "openpyxl": lambda p: (declarations(root_tag(p)).get("r") and "<sheet xmlns:r=" not in text(p, "xl/workbook.xml")),
    "openpyxl_lxml": lambda p: ("r" not in declarations(root_tag(p))  # r declared on every <sheet>, none else
                                and 0 < text(p, "xl/workbook.xml").count("<sheet xmlns:r=")
                                == text(p, "xl/workbook.xml").count("<sheet ")),
    "libreoffice": lambda p: ('<fileVersion appName="Calc"/>' in text(p, "xl/workbook.xml")
                              and "xl/sharedStrings.xml" in producers.members(p)),
    "xlsxwriter": lambda p: ("Microsoft Excel" in text(p, "docProps/app.xml")
                             and "xl/sharedStrings.xml" in producers.members(p)
                             and 'state="veryHidden"' in text(p, "xl/workbook.xml")),
    "excel": lambda p: (text(p, "xl/workbook.xml").startswith(producers.EXCEL_DECL + producers.EXCEL_WORKBOOK_ROOT)
                        and 'mc:Ignorable="x14ac xr xr2 xr3"' in text(p, "xl/worksheets/sheet2.xml")
                        and 'x14ac:dyDescent="0.25"' in text(p, "xl/worksheets/sheet2.xml")
                        and 'x14ac:knownFonts="1"' in text(p, "xl/styles.xml")
                        and "inlineStr" not in text(p, "xl/worksheets/sheet2.xml")),
    "openxml_sdk_prefixed": lambda p: ("<x:workbook " in text(p, "xl/workbook.xml")
                                       and "<sheet " not in text(p, "xl/workbook.xml")
                                       and "<x:worksheet " in text(p, "xl/worksheets/sheet2.xml")
                                       and 'r:id="R' in text(p, "xl/workbook.xml")),
}


def test_the_producers_workbook_is_what_it_writes_and_sound(made):
    assert SIGNATURES[made.name](made.source), f"{made.name}: the fixture does not look like its producer's"
    assert_sound_package(made.source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert META in load_workbook(made.source, read_only=True).sheetnames


# ---------------------------------------------------------------- kpi compute on it

def test_compute_runs(made, baseline):
    assert made.code == baseline[0], made.messages
    assert "Traceback" not in made.messages


def test_compute_output_is_a_sound_package(made):
    assert_sound_package(made.out)


def test_parts_the_user_owned_are_byte_identical(made):
    source = made.source
    book = workbook_part(source)
    # what compute may write over: its result sheets, the meta, and 说明 (rebuilt from the scheme)
    replaced = {layout().sheet("meta"), layout().sheet("help")} | layout().all_result_names()
    owned = [part for name, part in sheet_parts(source).items() if name in replaced]
    styles = [target for _, kind, target in relationships(source, book) if kind.endswith("/styles")]
    book_rels = posixpath.join(posixpath.dirname(book), "_rels", posixpath.basename(book) + ".rels")
    may_change = part_closure(source, owned) | {book, book_rels, "[Content_Types].xml", *styles}
    before, after = producers.members(source), producers.members(made.out)
    compared = [name for name in before if name not in may_change and not name.startswith("docProps/")]
    assert len(compared) >= 8, compared  # the input sheets at least: not a vacuous comparison
    changed = [name for name in compared if after.get(name) != before[name]]
    assert changed == [], f"{made.name}: compute changed or dropped parts it does not own: {changed}"


def test_scores_equal_the_plain_samples(made, baseline):
    _, csv, scores = baseline
    assert made.csv.read_bytes() == csv
    got = table(made.out, SCORES)  # the sheet as written into the file, read back
    assert got.equals(scores), f"{made.name}: the scores sheet differs from the plain sample's"


def test_workbook_root_keeps_every_declaration_and_mc_ignorable(made):
    before, after = root_tag(made.source), root_tag(made.out)
    lost = {p: u for p, u in declarations(before).items() if declarations(after).get(p) != u}
    assert lost == {}, f"{made.name}: the workbook root lost {lost}"
    ignorable = re.compile(r'\s([\w.-]+:Ignorable)="([^"]*)"')
    assert ignorable.findall(after) == ignorable.findall(before)


def test_excels_workbook_parts_survive(base, tmp_path_factory):
    """What Excel writes around the sheet list stays, verbatim."""
    made = produce("excel", base, tmp_path_factory)
    book = text(made.out, "xl/workbook.xml")
    assert book.startswith(producers.EXCEL_DECL + producers.EXCEL_WORKBOOK_ROOT)
    for piece in ('<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="28527"/>',
                  '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                  '<mc:Choice Requires="x15"><x15ac:absPath url="C:\\Users\\hr\\Documents\\考核\\"',
                  '<xr:revisionPtr revIDLastSave="0"', 'xr2:uid="{00000000-000D-0000-0000-000000000000}"',
                  '<calcPr calcId="191029"', '<x15:workbookPr chartTrackingRefBase="1"/>',
                  '<xcalcf:feature name="microsoft.com:LET_WF"/>'):
        assert piece in book, piece
    sheets = re.findall(r"<sheet [^>]*>", book)
    assert len(sheets) == 17 and not [s for s in sheets if "xmlns" in s]  # 店铺归属, 导入记录, 校准, 绩效工资 included


def test_prefixed_workbook_stays_prefixed(base, tmp_path_factory):
    made = produce("openxml_sdk_prefixed", base, tmp_path_factory)
    book = text(made.out, "xl/workbook.xml")
    assert "<sheet " not in book and "<definedName " not in book
    assert len(re.findall(r"<x:sheet ", book)) == 17
    assert "<font>" not in text(made.out, "xl/styles.xml")


def test_libreoffice_copy_keeps_what_compute_reads(base, tmp_path_factory):
    """LibreOffice saves the very hidden _kpi_meta as merely hidden and keeps 指标配置's values;
    compute reads the same scheme from it and makes _kpi_meta very hidden again."""
    made = produce("libreoffice", base, tmp_path_factory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = load_workbook(base), load_workbook(made.source)
        assert ours[META].sheet_state == "veryHidden" and theirs[META].sheet_state == "hidden"
        for sheet in (CONFIG, META):
            assert list(theirs[sheet].values) == list(ours[sheet].values), sheet
        assert load_workbook(made.out)[META].sheet_state == "veryHidden"
    fingerprints = []
    for path in (base, made.source):
        with FileSource(path) as src:
            fingerprints.append(load_scheme_from(src)[0].fingerprint())
    assert fingerprints[0] == fingerprints[1]
