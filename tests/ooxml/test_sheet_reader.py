"""ooxml.sheet_reader.WorkbookReader (what FileSource reads through; it replaced openpyxl read-only + its own
expat rows) gives, on the sample workbooks, the damaged corpus, other producers' workbooks and
small hand-written packages; and the same cell values as openpyxl's own read-only reader."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import __version__ as openpyxl_version
from openpyxl import load_workbook
from openpyxl.styles import numbers as openpyxl_numbers
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils import datetime as openpyxl_datetime
from openpyxl.xml.functions import fromstring
from support import damaged, producers
from support.workbooks import sample_workbook

from kpi_workbook.ooxml import numfmt, sheet_reader
from kpi_workbook.ooxml.errors import CellOutOfRange, NotAWorkbook, PackageError, UnsafeFile
from kpi_workbook.ooxml.sheet_reader import SheetParser, SparseRow, WorkbookReader
from kpi_workbook.pipeline.file_source import FileSource

# The reader follows openpyxl's rules for date formats, date serials and cell references as they are
# since openpyxl 3.1.3 (unchanged up to 3.1.5); 3.1.1 and 3.1.2, which the oldest-floors leg installs,
# read some formats (e.g. built-in id 35) and "$B$1" addresses otherwise. The product does not use
# openpyxl to read, so only the comparisons with openpyxl's answers wait for 3.1.3.
OPENPYXL_RULES = pytest.mark.skipif(
    tuple(int(x) for x in openpyxl_version.split(".")[:3]) < (3, 1, 3),
    reason="compares with openpyxl's reading rules as of 3.1.3; this openpyxl is older")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


# ---------------------------------------------------------------- reading both ways

def typed(rows: list[Any]) -> list[list[tuple[str, Any]]]:
    """Rows as (type, value) pairs: 1 == 1.0 == True and a date equals no datetime, so compare types too."""
    return [[(type(v).__name__, v) for v in row] for row in rows]


def kind(exc: BaseException) -> str:
    """The kind of error a user sees: UnsafeFile or NotAWorkbook (CellOutOfRange is one)."""
    names = [c.__name__ for c in type(exc).__mro__]
    return next((n for n in ("UnsafeFile", "NotAWorkbook") if n in names), type(exc).__name__)


def outcome(open_source, read) -> Any:
    """Each sheet's typed rows and row kinds, or the kind and text of the error opening or reading gives."""
    try:
        source = open_source()
    except Exception as exc:  # noqa: BLE001 - the kind is compared
        return ("open", kind(exc))
    with source:
        out = {}
        for name in source.sheet_names():
            try:
                rows = read(source, name)
                out[name] = (typed(rows), [type(r).__name__ for r in rows])
            except Exception as exc:  # noqa: BLE001
                out[name] = ("read", kind(exc), str(exc))
        return out


def reader(path: Path) -> Any:
    return outcome(lambda: WorkbookReader(path), lambda s, name: s.rows(name))


def openpyxl_cells(path: Path) -> dict[str, dict[tuple[int, int], Any]]:
    """openpyxl's own read-only, data-only values by (row, column), shaped as FileSource shapes them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of dates out of range, as it reads them
        wb = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        out = {}
        for ws in wb.worksheets + wb.chartsheets:
            cells = {}
            if hasattr(ws, "iter_rows"):
                ws.reset_dimensions()
                for r, row in enumerate(ws.iter_rows(values_only=True), 1):
                    for c, v in enumerate(row, 1):
                        if v is not None:
                            cells[r, c] = shaped(v)
            out[ws.title] = cells
        wb.close()
    return out


def shaped(v: Any) -> tuple[str, Any]:
    if isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    elif type(v) is dt.date:
        v = dt.datetime(v.year, v.month, v.day)
    return type(v).__name__, v


def reader_cells(path: Path) -> dict[str, dict[tuple[int, int], Any]]:
    with WorkbookReader(path) as book:
        return {name: {(r, c): (type(v).__name__, v) for r, row in enumerate(book.rows(name), 1)
                       for c, v in enumerate(row, 1) if v is not None} for name in book.sheet_names()}


def read_all(path: Path) -> Any:
    """Every sheet as the reader gives it (or how it fails). Its equality with the implementation it
    replaced (openpyxl read-only + an expat parser) was shown on this corpus before the switch."""
    return reader(path)


def assert_same_as_openpyxl(path: Path) -> None:
    ours, theirs = reader_cells(path), openpyxl_cells(path)
    assert list(ours) == list(theirs) or sorted(ours) == sorted(theirs)
    for name in ours:
        assert ours[name] == theirs[name], name


# ---------------------------------------------------------------- the sample workbooks

@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_workbook(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def computed(sample, tmp_path_factory) -> Path:
    from kpi_workbook.commands.files import compute_file

    path = tmp_path_factory.mktemp("computed") / sample.name
    shutil.copyfile(sample, path)
    compute_file(path)
    return path


def test_filled_sample_reads_as_openpyxl(sample):
    got = read_all(sample)
    assert len(got) >= 8 and all(not isinstance(v[0], str) for v in got.values())
    assert_same_as_openpyxl(sample)


def test_computed_sample_reads_as_openpyxl(computed):
    read_all(computed)
    assert_same_as_openpyxl(computed)


def test_names_and_states(computed):
    wb = load_workbook(computed, read_only=True)
    with WorkbookReader(computed) as book:
        assert book.sheet_names() == wb.sheetnames
        assert book.sheet_states() == {ws.title: ws.sheet_state for ws in wb.worksheets + wb.chartsheets}
    assert "veryHidden" in book.sheet_states().values()


def test_a_zipfile_stays_open_for_its_owner(sample):
    with zipfile.ZipFile(sample) as zf:
        with WorkbookReader(zf) as book:
            first = book.rows(book.sheet_names()[1])
        assert zf.read("[Content_Types].xml")  # still open
    with FileSource(sample) as fs:
        assert first == fs.read(fs.sheet_names()[1])
    assert book.file == sample.name


# ---------------------------------------------------------------- the damaged corpus

@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.mark.parametrize("key", list(damaged.CORPUS))
def test_damaged_corpus_reads_or_fails(key, sample, corpus_dir):
    path = damaged.build(key, sample, corpus_dir)
    got = read_all(path)
    unreadable = isinstance(got, tuple) or any(isinstance(v[0], str) for v in got.values())
    assert unreadable == (key in {"truncated", "csv_renamed", "zip_not_workbook", "broken_sheet_xml",
                                  "billion_laughs", "beyond_grid_row", "beyond_grid_column"})
    if not unreadable:
        assert_same_as_openpyxl(path)


def test_the_far_cell_is_a_sparse_row(sample, corpus_dir):
    path = damaged.build("far_cell", sample, corpus_dir)
    with WorkbookReader(path) as book:
        rows = book.rows(damaged.ROSTER_SHEET)
    assert len(rows) == 1_048_576 and isinstance(rows[-1], SparseRow)
    assert len(rows[-1]) == 16_384 and rows[-1][-1] == 1.0 and list(rows[-1].values()) == [1.0]
    assert all(r is rows[-2] for r in rows[-1000:-1])  # missing rows: one shared empty tuple


def test_beyond_the_grid_is_named(sample, corpus_dir):
    path = damaged.build("beyond_grid_column", sample, corpus_dir)
    with WorkbookReader(path) as book, pytest.raises(CellOutOfRange) as caught:
        book.rows(damaged.ROSTER_SHEET)
    assert caught.value.ref == "XFE900" and caught.value.sheet == damaged.ROSTER_SHEET
    assert isinstance(caught.value, NotAWorkbook) and isinstance(caught.value, PackageError)
    assert caught.value.code == "cell_out_of_range"
    assert caught.value.text("en").startswith(f"sheet '{damaged.ROSTER_SHEET}' of beyond_grid_column.xlsx")


def test_entities_are_refused_on_opening(sample, corpus_dir):
    path = damaged.build("billion_laughs", sample, corpus_dir)
    with pytest.raises(UnsafeFile) as caught:
        WorkbookReader(path)
    assert caught.value.code == "unsafe_file" and "billion laughs" in caught.value.text("en")


# ---------------------------------------------------------------- other producers

PRODUCERS = {
    "excel": producers.excel_style,
    "xlsxwriter": producers.xlsxwriter_rebuild,
    "openxml_sdk_prefixed": producers.prefixed_main,
    "libreoffice": producers.libreoffice_resave,
    "openpyxl_lxml": lambda sample, folder: producers.openpyxl_sample(folder, lxml=True),
}


@pytest.mark.parametrize("producer", list(PRODUCERS))
@pytest.mark.parametrize("which", ["filled", "computed"])
def test_other_producers_workbooks(producer, which, sample, computed, tmp_path):
    """Each skips, saying why, where its tool is missing (LibreOffice, lxml)."""
    if producer == "openpyxl_lxml" and which == "computed":
        pytest.skip("openpyxl with lxml writes the filled sample only; compute writes its sheets itself")
    path = PRODUCERS[producer](sample if which == "filled" else computed, tmp_path / producer)
    read_all(path)
    assert_same_as_openpyxl(path)


# ---------------------------------------------------------------- hand-written packages

def styles_xml(formats: dict[int, str], xf_ids: list[int | None]) -> str:
    """A stylesheet whose cellXfs are ``xf_ids`` in order (None: an xf without numFmtId)."""
    fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{code}"/>' for i, code in formats.items())
    xfs = "".join("<xf/>" if i is None else f'<xf numFmtId="{i}" applyNumberFormat="1"/>' for i in xf_ids)
    return (f'<styleSheet xmlns="{MAIN}">' + (f'<numFmts count="{len(formats)}">{fmts}</numFmts>' if formats else "")
            + '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
            + '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
            + f'<cellXfs count="{len(xf_ids)}">{xfs}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def package(folder: Path, sheets: dict[str, str], *, styles: str | None = None, strings: str | None = None,
            book_pr: str = "", name: str = "tiny.xlsx", states: dict[str, str] | None = None,
            targets: dict[str, str] | None = None, members: dict[str, str] | None = None) -> Path:
    """A workbook package written by hand: ``sheets`` maps each name to its sheetData's inner XML
    (or to a whole part, when it starts with '<?xml' or '<chartsheet'). ``targets``: a sheet's
    relationship target as written; ``members``: its zip member name."""
    states, targets, members = states or {}, targets or {}, members or {}
    parts: dict[str, str] = {}
    rels, entries, overrides = [], [], []
    for i, (sheet, xml) in enumerate(sheets.items(), 1):
        chart = xml.startswith("<chartsheet")
        folder_name = "chartsheets" if chart else "worksheets"
        member = members.get(sheet, f"xl/{folder_name}/sheet{i}.xml")
        parts[member] = xml if xml.startswith(("<?xml", "<chartsheet")) else (
            f'<worksheet xmlns="{MAIN}" xmlns:r="{R}"><dimension ref="A1"/><sheetData>{xml}</sheetData></worksheet>')
        if chart:  # openpyxl fails on a chartsheet without rels (reader/excel.py read_chartsheet)
            parts[f"xl/chartsheets/_rels/sheet{i}.xml.rels"] = f'<Relationships xmlns="{PKG_RELS}"/>'
        kind = "chartsheet" if chart else "worksheet"
        rels.append(f'<Relationship Id="rId{i}" Type="{REL}/{kind}" '
                    f'Target="{targets.get(sheet, member[3:])}"/>')
        state = f' state="{states[sheet]}"' if sheet in states else ""
        entries.append(f'<sheet name="{sheet}" sheetId="{i}"{state} r:id="rId{i}"/>')
        ct = SHEET_CT if not chart else "application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml"
        overrides.append(f'<Override PartName="/{member}" ContentType="{ct}"/>')
    n = len(sheets)
    parts["xl/styles.xml"] = styles or styles_xml({}, [0])
    rels.append(f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>')
    overrides.append('<Override PartName="/xl/styles.xml" '
                     'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
    if strings is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{strings}</sst>'
        rels.append(f'<Relationship Id="rId{n + 2}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
        overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{producers.SST_TYPE}"/>')
    parts["xl/workbook.xml"] = (f'<workbook xmlns="{MAIN}" xmlns:r="{R}">{book_pr}<sheets>{"".join(entries)}'
                                "</sheets></workbook>")
    parts["xl/_rels/workbook.xml.rels"] = f'<Relationships xmlns="{PKG_RELS}">{"".join(rels)}</Relationships>'
    parts["_rels/.rels"] = (f'<Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" '
                            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    parts["[Content_Types].xml"] = (
        f'<Types xmlns="{CT}"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(overrides) + "</Types>")
    return producers.write_zip(folder / name, parts)


def rows_of(path: Path, sheet: str = "S") -> list[Any]:
    """The sheet as the reader gives it, after checking it agrees with openpyxl."""
    read_all(path)
    assert_same_as_openpyxl(path)
    with WorkbookReader(path) as book:
        return book.rows(sheet)


def cells(*values: str, row: int = 1, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    return f'<row r="{row}">' + "".join(f'<c r="{chr(65 + i)}{row}"{s}>{v}</c>' for i, v in enumerate(values)) + "</row>"


SERIALS = ["45000", "45000.75", "0.25", "0", "1.5", "59", "60", "61", "-1", "1e10", "2958465.99999999"]
DATE_CASES = {  # numFmtId -> what a serial in that format reads as (None: custom format below)
    0: "number", 1: "number", 2: "number", 9: "number", 10: "number", 11: "number", 12: "number", 13: "number",
    **{i: "date" for i in range(14, 23)}, 27: "number", 31: "number", 37: "number", 44: "number",
    45: "date", 46: "delta", 47: "date", 48: "number", 49: "number",
}
CUSTOM = {  # custom numFmtId -> (format code, what it reads as)
    164: ("yyyy-mm-dd", "date"),
    165: ("[h]:mm:ss", "delta"),
    166: ("&quot;days&quot; 0", "number"),  # quoted text is not a date
    167: ("[Red]0.00", "number"),  # a colour is not a date
    168: ("0.00%", "number"),
    169: ("[Red]yyyy-mm-dd;[Blue]0", "date"),
    170: ("0.00;[Red]yyyy", "number"),  # only the first section counts
    171: ("[hh]:mm", "delta"),
    172: ("[H]:mm", "delta"),  # [H] is no locale group for is_timedelta_format (any case), but m is a date letter
    173: ("_d0", "number"),  # a letter after _ or \\ is padding or a literal
    174: ("\\d0", "number"),
    175: ("[$-804]yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;", "date"),
    176: ("[mm]:ss", "delta"),
    177: ("General", "number"),
    14: ("0.00", "number"),  # a custom format of a builtin's id wins over the builtin
}


IDS = [*DATE_CASES, *CUSTOM]


def date_book(folder: Path, book_pr: str = "") -> tuple[Path, list[str]]:
    ids = IDS
    formats = {i: code for i, (code, _) in CUSTOM.items()}
    xml = "".join(cells(*(f"<v>{s}</v>" for s in SERIALS), row=r, style=r - 1) for r in range(1, len(ids) + 1))
    expect = [DATE_CASES.get(i) if i not in CUSTOM else CUSTOM[i][1] for i in ids]
    return package(folder, {"S": xml}, styles=styles_xml(formats, ids), book_pr=book_pr), expect


WINDOWS, MAC = dt.datetime(1899, 12, 30), dt.datetime(1904, 1, 1)


@OPENPYXL_RULES
@pytest.mark.parametrize("book_pr, epoch", [("", WINDOWS), ('<workbookPr date1904="1"/>', MAC),
                                            ('<workbookPr date1904="false"/>', WINDOWS),
                                            ('<workbookPr date1904="true"/>', MAC)])
def test_dates_by_number_format(tmp_path, book_pr, epoch):
    path, expect = date_book(tmp_path, book_pr)
    rows = rows_of(path)
    for row, what in zip(rows, expect):
        first = row[0]
        if what == "number":
            assert first == 45000.0 and type(first) is float
        elif what == "delta":
            assert first == dt.timedelta(days=45000) and row[4] == dt.timedelta(days=1.5)
        else:
            assert type(first) is dt.datetime and first == epoch + dt.timedelta(days=45000)
            assert row[2] == dt.time(6) and row[3] == dt.time(0)
            assert row[9] == "#VALUE!"  # beyond datetime's range, as openpyxl reads it
    # Excel's 1900 leap-year bug: serial 60 is the phantom 1900-02-29, 59 is 1900-02-28, 61 1900-03-01
    if epoch == WINDOWS:
        assert rows[IDS.index(15)][5:8] == [dt.datetime(1900, 2, 28), dt.datetime(1900, 2, 28), dt.datetime(1900, 3, 1)]


@OPENPYXL_RULES
def test_date_style_sets_are_openpyxls(tmp_path, sample, computed):
    path, _ = date_book(tmp_path)
    for book in (path, sample, computed):
        with zipfile.ZipFile(book) as zf:
            xml = zf.read("xl/styles.xml")
        theirs = Stylesheet.from_tree(fromstring(xml))
        ours = numfmt.date_styles(sheet_reader.fromstring(xml))
        assert ours == (frozenset(theirs.date_formats), frozenset(theirs.timedelta_formats))


def test_builtin_date_ids_are_openpyxls():
    builtin = openpyxl_numbers.BUILTIN_FORMATS
    assert numfmt.BUILTIN_DATES == {i for i, f in builtin.items() if openpyxl_numbers.is_date_format(f)}
    assert numfmt.BUILTIN_DELTAS == {i for i, f in builtin.items() if openpyxl_numbers.is_timedelta_format(f)}


FORMAT_TEXT = st.text(alphabet='dmhysDMHYS0#.,;:"[]_\\$-@ %/ERedGnalhH', max_size=16)


@OPENPYXL_RULES
@settings(max_examples=400, deadline=None)
@given(FORMAT_TEXT)
def test_format_rules_are_openpyxls(code):
    assert numfmt.is_date_format(code) == openpyxl_numbers.is_date_format(code)
    assert numfmt.is_timedelta_format(code) == openpyxl_numbers.is_timedelta_format(code)


SERIAL = st.one_of(st.floats(min_value=-1e6, max_value=3e6, allow_nan=False), st.integers(-10**6, 3 * 10**6),
                   st.floats(min_value=0, max_value=2, allow_nan=False))


@settings(max_examples=400, deadline=None)
@given(SERIAL, st.booleans(), st.booleans())
def test_serials_are_openpyxls(serial, mac, delta):
    epoch = openpyxl_datetime.MAC_EPOCH if mac else openpyxl_datetime.WINDOWS_EPOCH

    def attempt(fn):
        try:
            return fn(serial, epoch, timedelta=delta)
        except (OverflowError, ValueError) as exc:
            return type(exc)
    assert attempt(numfmt.from_excel) == attempt(openpyxl_datetime.from_excel)


ISO = st.one_of(
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?\Z"),
    st.from_regex(r"\A\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?\Z"),
    st.from_regex(r"\APT(\d{1,3}H)?(\d{1,3}M)?(\d{1,3}(\.\d{1,3})?S)?\Z"),
    st.text(alphabet="0123456789-:.TZPHMS ", max_size=24),
)


@settings(max_examples=400, deadline=None)
@given(ISO)
def test_iso8601_is_openpyxls(text):
    def attempt(fn):
        try:
            return fn(text)
        except (ValueError, OverflowError) as exc:
            return type(exc)
    assert attempt(numfmt.from_iso8601) == attempt(openpyxl_datetime.from_ISO8601)


def test_shared_strings_rich_text_phonetic_runs_and_whitespace(tmp_path):
    strings = ("<si><t>plain</t></si>"
               '<si><t xml:space="preserve">  two  spaces \n and a line  </t></si>'
               "<si><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space=\"preserve\"> then plain</t></r></si>"
               '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>'
               '<si><r><t>漢</t></r><r><t>字</t></r><rPh sb="0" eb="1"><t>カン</t></rPh></si>'
               "<si><t>_x005F_x0041_ kept as openpyxl keeps it</t></si>"
               "<si><t/></si><si/>"
               "<si><t>first</t><t>last t wins</t></si>"
               "<si><t>text<b>child</b>tail</t></si>")
    xml = cells(*(f"<v>{i}</v>" for i in range(10)))
    xml = xml.replace("<c ", '<c t="s" ')
    row = rows_of(package(tmp_path, {"S": xml}, strings=strings))[0]
    assert row == ["plain", "  two  spaces \n and a line  ", "bold then plain", "東京", "漢字",
                   "_x0041_ kept as openpyxl keeps it", "", "", "last t wins", "text"]


def test_inline_strings(tmp_path):
    xml = cells('<is><t xml:space="preserve"> inline </t></is>',
                "<is><r><t>rich</t></r><r><rPr><i/></rPr><t>-run</t></r></is>",
                '<is><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></is>',
                "<is><t/></is>", "", "<v>ignored</v>",
                "<is><t>first is</t></is><is><t>second is</t></is>")
    xml = xml.replace("<c ", '<c t="inlineStr" ')
    row = rows_of(package(tmp_path, {"S": xml}))[0]
    assert row == [" inline ", "rich-run", "東京", "", None, None, "first is"]


def test_booleans_errors_formulas_and_iso_dates(tmp_path):
    xml = (cells('<v>1</v>', '<v>0</v>', row=1).replace("<c ", '<c t="b" ')
           + cells("<v>#DIV/0!</v>", "<v>#N/A</v>", "<v>#REF!</v>", row=2).replace("<c ", '<c t="e" ')
           + cells("<f>1+1</f><v>2</v>", "<f>A1</f>", '<f t="shared" ref="C3:C4" si="0">B3</f><v>7.5</v>', row=3)
           + cells('<f>"a"&amp;"b"</f><v>ab</v>', row=4).replace("<c ", '<c t="str" ')
           + cells("<v>2026-11-28</v>", "<v>2026-11-28T08:30:05.250Z</v>", "<v>08:30</v>", "<v>PT36H30M</v>",
                   row=5).replace("<c ", '<c t="d" ')
           + cells("<v>1</v>", "<v>-2.5</v>", "<v>1E3</v>", "<v>12345678901234567890</v>", "<v></v>", row=6))
    rows = rows_of(package(tmp_path, {"S": xml}))
    assert rows[0] == [True, False] and rows[1] == ["#DIV/0!", "#N/A", "#REF!"]
    assert rows[2] == [2.0, None, 7.5] and rows[3] == ["ab"]
    assert rows[4] == [dt.datetime(2026, 11, 28), dt.datetime(2026, 11, 28, 8, 30, 5, 250000), dt.time(8, 30),
                       dt.timedelta(hours=36, minutes=30)]
    assert rows[5] == [1.0, -2.5, 1000.0, 1.2345678901234567e19]
    assert all(type(v) is float for v in rows[5])


def test_addresses_rows_and_order(tmp_path):
    xml = ('<row r="1"><c><v>1</v></c><c><v>2</v></c><c r="E1"><v>5</v></c><c><v>6</v></c></row>'  # cells without r
           '<row><c r="B2"><v>22</v></c></row>'  # a row without r follows the one before
           '<row r="4"><c r="A4"><v>41</v></c><c r="A4"><v>42</v></c></row>'  # the later cell of a column wins
           '<row r="3"><c r="A3"><v>3</v></c></row>'  # out of order: dropped, as openpyxl drops it
           '<row r="6.0"><c r="C6"><v>63</v></c></row>'  # a float row number that is an integer
           '<row r="8"><c r="A8" t="inlineStr"/></row>'  # a blank row at the end
           )
    rows = rows_of(package(tmp_path, {"S": xml}))
    assert rows == [[1.0, 2.0, None, None, 5.0, 6.0], [None, 22.0], (), [42.0], (), [None, None, 63.0]]
    assert rows[2] is rows[4] == ()  # missing rows: one shared empty tuple


@OPENPYXL_RULES
def test_a_later_blank_cell_of_a_column_keeps_the_value_before(tmp_path):
    """FileSource keeps the last value of a column (a later blank cell does not erase it); openpyxl
    takes the last cell, blank or not. The reader is FileSource's."""
    path = package(tmp_path, {"S": '<row r="1"><c r="A1"><v>41</v></c><c r="A1"/><c r="$B$1"><v>2</v></c></row>'})
    assert read_all(path)["S"][0] == [[("float", 41.0), ("float", 2.0)]]
    with pytest.raises(ValueError, match="not a valid column name"):  # nor does openpyxl read "$B$1"
        openpyxl_cells(path)
    path = package(tmp_path, {"S": '<row r="1"><c r="A1"><v>41</v></c><c r="A1"/></row>'}, name="blank.xlsx")
    assert openpyxl_cells(path)["S"] == {}


def test_the_last_cell_of_the_grid_and_sparse_rows(tmp_path):
    xml = ('<row r="1"><c r="A1"><v>1</v></c><c r="CZ1"><v>2</v></c></row>'
           '<row r="2"><c r="A2"><v>1</v></c><c r="BA2"><v>2</v></c></row>'
           '<row r="1048576"><c r="XFD1048576"><v>9</v></c></row>')
    rows = rows_of(package(tmp_path, {"S": xml}))
    assert isinstance(rows[0], SparseRow) and len(rows[0]) == 104 and rows[0][103] == 2.0 and rows[0][5] is None
    assert rows[0] == [1.0] + [None] * 102 + [2.0] and rows[0][-1] == 2.0 and rows[0][100:] == [None] * 3 + [2.0]
    assert type(rows[1]) is list and len(rows[1]) == 53  # 53 wide: not sparse below 64 columns
    assert len(rows) == 1_048_576 and isinstance(rows[-1], SparseRow) and rows[-1][16_383] == 9.0
    with pytest.raises(IndexError):
        rows[-1][16_384]


@pytest.mark.parametrize("row_xml, ref", [
    ('<row r="1048577"><c r="A1048577"><v>1</v></c></row>', "row 1048577"),
    ('<row r="0"><c r="A1"><v>1</v></c></row>', "row 0"),
    ('<row r="1"><c r="XFE1"><v>1</v></c></row>', "XFE1"),
    ('<row r="1"><c r="AAAA1"><v>1</v></c></row>', "AAAA1"),
    ('<row r="1"><c r="1A"><v>1</v></c></row>', "1A"),
    ('<row r="1"><c r="XFD1"><v>1</v></c><c><v>2</v></c></row>', "R1C16385"),
])
def test_addresses_beyond_the_grid(tmp_path, row_xml, ref):
    path = package(tmp_path, {"S": row_xml})
    read_all(path)
    with WorkbookReader(path) as book, pytest.raises(CellOutOfRange) as caught:
        book.rows("S")
    assert caught.value.ref == ref and f"单元格地址 {ref}（" in str(caught.value)


def test_the_package_found_through_its_rels(tmp_path):
    sheets = {"Plain": cells("<v>1</v>"), "Absolute": cells("<v>2</v>"), "Hidden": cells("<v>3</v>"),
              "Chart": f'<chartsheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0"/></sheetViews></chartsheet>',
              "Very": cells("<v>4</v>")}
    path = package(tmp_path, sheets, targets={"Absolute": "/xl/worksheets/sheet2.xml"},
                   states={"Hidden": "hidden", "Very": "veryHidden"})
    read_all(path)
    assert_same_as_openpyxl(path)
    with WorkbookReader(path) as book:
        assert book.sheet_names() == list(sheets)
        assert book.sheet_states() == {"Plain": "visible", "Absolute": "visible", "Hidden": "hidden",
                                       "Chart": "visible", "Very": "veryHidden"}
        assert [book.rows(n) for n in sheets] == [[[1.0]], [[2.0]], [[3.0]], [], [[4.0]]]
        with pytest.raises(KeyError):
            book.rows("Nowhere")


def test_part_names_match_whatever_their_case(tmp_path):
    """Excel matches part names without regard to case; openpyxl does not (it leaves such a sheet out)."""
    path = package(tmp_path, {"S": cells("<v>1</v>"), "T": cells("<v>2</v>")},
                   targets={"T": "Worksheets/SHEET2.xml"}, members={"T": "xl/worksheets/sheet2.xml"})
    with WorkbookReader(path) as book:
        assert book.sheet_names() == ["S", "T"] and book.rows("T") == [[2.0]]
    assert load_workbook(path, read_only=True).sheetnames == ["S"]


def test_a_sheet_whose_part_is_missing_is_left_out_as_openpyxl_does(tmp_path):
    path = package(tmp_path, {"S": cells("<v>1</v>"), "Gone": cells("<v>2</v>")}, targets={"Gone": "worksheets/gone.xml"})
    with WorkbookReader(path) as book:
        assert book.sheet_names() == ["S"]


ENTITY = '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY e "boom">]>'


def test_entities_in_a_sheet_are_refused(tmp_path):
    xml = f'{ENTITY}<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c t="str"><v>&e;</v></c></row></sheetData></worksheet>'
    path = package(tmp_path, {"S": xml})
    with WorkbookReader(path) as book, pytest.raises(UnsafeFile) as caught:
        book.rows("S")
    assert "sheet 'S' of tiny.xlsx contains XML entity declarations" in str(caught.value)


def test_any_dtd_is_refused(tmp_path):
    """A DTD without entities is harmless to openpyxl, which reads it; the reader refuses every DTD, as
    safety.parse_xml does (no producer of workbooks writes one)."""
    xml = f'<?xml version="1.0"?><!DOCTYPE worksheet><worksheet xmlns="{MAIN}"><sheetData>{cells("<v>1</v>")}</sheetData></worksheet>'
    path = package(tmp_path, {"S": xml})
    assert openpyxl_cells(path)["S"] == {(1, 1): ("float", 1.0)}  # openpyxl reads a DTD without entities
    with WorkbookReader(path) as book, pytest.raises(UnsafeFile):
        book.rows("S")
    path = package(tmp_path, {"S": cells("<v>1</v>")}, strings='<si><t>x</t></si>', name="dtd_in_strings.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/sharedStrings.xml"] = b'<!DOCTYPE sst>' + parts["xl/sharedStrings.xml"]
    with pytest.raises(UnsafeFile):
        WorkbookReader(producers.write_zip(path, parts))


def test_broken_xml_is_a_parse_error_named_for_the_user(tmp_path):
    path = package(tmp_path, {"S": cells("<v>1</v>") + "<row r='2'><c r='A2'><v>2</c></row>"})
    assert read_all(path)["S"][:2] == ("read", "NotAWorkbook")
    with WorkbookReader(path) as book, pytest.raises(NotAWorkbook) as caught:
        book.rows("S")
    assert isinstance(caught.value.__cause__, ParseError) and caught.value.__cause__.position[0] == 1
    assert caught.value.text("en").startswith("sheet 'S' of tiny.xlsx cannot be read, the file is damaged inside (")
    with pytest.raises(ParseError):
        SheetParser([], frozenset(), frozenset(), numfmt.WINDOWS_EPOCH).parse(
            __import__("io").BytesIO(b"<worksheet><sheetData>"))


@pytest.mark.parametrize("cell", ['<c r="A1" t="s"><v>5</v></c>', '<c r="A1"><v>abc</v></c>',
                                  '<c r="A1" t="d"><v>not a date</v></c>', '<c r="A1" s="x"><v>1</v></c>',
                                  '<c r="A1" t="b"><v>yes</v></c>'])
def test_values_that_cannot_be_read_are_damage(tmp_path, cell):
    path = package(tmp_path, {"S": f'<row r="1">{cell}</row>'}, strings="<si><t>only</t></si>")
    got = read_all(path)
    assert got["S"][:2] == ("read", "NotAWorkbook")


def test_errors_carry_code_and_both_languages():
    err = PackageError("中文", "English", code="x")
    assert (str(err), err.text("en-GB"), err.text("zh"), err.text(None), err.code) == (
        "中文 / English", "English", "中文", "中文", "x")
    assert str(PackageError("同")) == "同" and PackageError("同").code == "package"
    assert isinstance(err, ValueError) and issubclass(UnsafeFile, PackageError)
    bare = CellOutOfRange("XFE1")
    assert bare.ref == "XFE1" and "XFE1" in bare.text("en") and bare.sheet is None


# ---------------------------------------------------------------- plain sheet data read from the bytes

def test_plain_rows_read_as_the_callback_parser(sample, computed, tmp_path, monkeypatch):
    """Sheet data written the plain way (the product's own workbooks) is read straight from the
    bytes, with exactly the callback parser's rows (character references included, as openpyxl
    writes non-ASCII text with lxml); anything written otherwise (a formula, rich text, a row or
    cell without its number) is left to the callback parser."""
    plain = ('<row r="1" spans="1:4" ht="30" customHeight="1"><c r="A1" s="1" t="inlineStr"><is><t xml:space="preserve">'
             ' 东京 </t></is></c><c r="B1" t="n"><v>2113000</v></c><c r="C1" s="0" /><c r="D1" t="b"><v>1</v></c></row>'
             '<row r="3"><c r="A3" t="e"><v>#N/A</v></c><c r="C3"><v>1E3</v></c><c r="C3"/><c r="B3" t="inlineStr">'
             '<is><t></t></is></c></row><row r="2"/><row r="5"><c r="XFD5"><v>12345678901234567890</v></c></row>'
             '<row r="6"><c r="A6" t="inlineStr"><is><t>&#19996;&#x4EAC; a&amp;b&lt;c&gt;&quot;&apos;</t></is></c>'
             '<c r="B6" t="str"><v>&#x41;&amp;</v></c></row>')
    others = ['<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>', '<row><c r="A1"><v>1</v></c></row>',
              '<row r="1"><c><v>1</v></c></row>', '<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r></is></c></row>',
              '<row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b</t></is><f>1</f></c></row>']
    books = [sample, computed, package(tmp_path, {"S": plain}, name="plain.xlsx")]
    books += [package(tmp_path, {"S": xml}, name=f"other{i}.xlsx") for i, xml in enumerate(others)]
    used = []
    fast = SheetParser._plain_rows

    def counting(self, data):
        used.append(fast(self, data))
        return used[-1]

    monkeypatch.setattr(SheetParser, "_plain_rows", counting)
    got = [read_all(path) for path in books]
    assert used.count(False) >= len(others) and used.count(True) >= 10
    with WorkbookReader(books[2]) as book:
        rows = book.rows("S")
    assert rows[:4] == [[" 东京 ", 2113000.0, None, True], (), ["#N/A", "", 1000.0], ()]
    # lxml writes non-ASCII text as character references: read as an XML parser reads them
    assert rows[5] == ["东京 a&b<c>\"'", "A&"]
    assert rows[4][16383] == 1.2345678901234567e19 and isinstance(rows[4], SparseRow)
    monkeypatch.setattr(SheetParser, "_plain_rows", lambda self, data: False)
    assert [read_all(path) for path in books] == got
