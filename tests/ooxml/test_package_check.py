"""The package soundness checker (tests/support/package_check.py) on tiny hand-written packages:
a sound one passes, and each way producers break files is caught with a message naming the part."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from support.package_check import (
    assert_sound_package,
    package_problems,
    part_closure,
    relationships,
    sheet_parts,
    workbook_part,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET = f"{R}/worksheet"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

TYPES = (f'{DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>'
         '<Override PartName="/xl/workbook.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
         '<Override PartName="/xl/worksheets/sheet1.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (f'{DECL}<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{R}/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>')
BOOK = (f'{DECL}<workbook xmlns="{MAIN}" xmlns:r="{R}"><sheets>'
        '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>')
BOOK_RELS = (f'{DECL}<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{WORKSHEET}" '
             'Target="worksheets/sheet1.xml"/></Relationships>')
SHEET = (f'{DECL}<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>42</v></c>'
         '<c r="B1" t="inlineStr"><is><t>合计</t></is></c></row></sheetData></worksheet>')
PARTS = {"[Content_Types].xml": TYPES, "_rels/.rels": ROOT_RELS, "xl/workbook.xml": BOOK,
         "xl/_rels/workbook.xml.rels": BOOK_RELS, "xl/worksheets/sheet1.xml": SHEET}


def tiny(path: Path, parts: dict[str, str | bytes | None] | None = None) -> Path:
    """The sound one-sheet package, with ``parts`` replaced or added (bytes or text) or removed (None)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {**PARTS, **(parts or {})}.items():
            if data is not None:
                zf.writestr(name, data)
    return path


def only_problem(path: Path) -> str:
    problems = package_problems(path)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_sound_package_passes(tmp_path):
    path = tiny(tmp_path / "good.xlsx")
    assert package_problems(path) == []
    assert assert_sound_package(path) is None
    assert sheet_parts(path) == {"数据": "xl/worksheets/sheet1.xml"}
    assert workbook_part(path) == "xl/workbook.xml"
    assert relationships(path, "xl/workbook.xml") == [("rId1", WORKSHEET, "xl/worksheets/sheet1.xml")]
    assert part_closure(path, ["xl/workbook.xml"]) == {"xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                                       "xl/worksheets/sheet1.xml"}


def test_excel_style_declarations_pass(tmp_path):
    """mc:Ignorable naming prefixes declared on the same element, and mc:Choice Requires in scope."""
    book = (f'{DECL}<workbook xmlns="{MAIN}" xmlns:r="{R}" xmlns:mc="{MC}" mc:Ignorable="x15 xr" '
            'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
            'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision">'
            f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x15"><x15ac:absPath url="C:\\" '
            'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice>'
            '</mc:AlternateContent><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>')
    assert package_problems(tiny(tmp_path / "excel.xlsx", parts={"xl/workbook.xml": book})) == []


def test_unbound_prefix_is_caught(tmp_path):
    """openpyxl+lxml declares xmlns:r on each <sheet>; a sheet appended without it is the issue 8 bug."""
    book = BOOK.replace(f' xmlns:r="{R}"><sheets><sheet ', f'><sheets><sheet xmlns:r="{R}" ').replace(
        "</sheets>", '<sheet name="得分" sheetId="2" r:id="rId2"/></sheets>')
    rels = BOOK_RELS.replace("</Relationships>", f'<Relationship Id="rId2" Type="{WORKSHEET}" '
                             'Target="worksheets/sheet1.xml"/></Relationships>')
    path = tiny(tmp_path / "unbound.xlsx", parts={"xl/workbook.xml": book, "xl/_rels/workbook.xml.rels": rels})
    problem = only_problem(path)
    assert problem.startswith("xl/workbook.xml: ") and "unbound prefix" in problem and 'r:id="rId2"' in problem
    with pytest.raises(AssertionError, match=r"unbound\.xlsx is not a sound package:\n  xl/workbook\.xml: .*unbound"):
        assert_sound_package(path)
    # declared per sheet, every one of them: sound
    sound = book.replace('<sheet name="得分"', f'<sheet xmlns:r="{R}" name="得分"')
    assert package_problems(tiny(tmp_path / "lxml.xlsx", parts={"xl/workbook.xml": sound,
                                                               "xl/_rels/workbook.xml.rels": rels})) == []


def test_dangling_relationship_target_is_caught(tmp_path):
    rels = BOOK_RELS.replace("worksheets/sheet1.xml", "worksheets/sheet2.xml")
    problem = only_problem(tiny(tmp_path / "dangling.xlsx", parts={"xl/_rels/workbook.xml.rels": rels}))
    assert problem.startswith("xl/_rels/workbook.xml.rels: ") and "xl/worksheets/sheet2.xml" in problem
    # absolute targets resolve from the package root; external ones are not parts
    rels = BOOK_RELS.replace('Target="worksheets/sheet1.xml"', 'Target="/xl/worksheets/sheet1.xml"').replace(
        "</Relationships>", f'<Relationship Id="rId9" Type="{R}/hyperlink" Target="https://example.invalid/x" '
        'TargetMode="External"/></Relationships>')
    assert package_problems(tiny(tmp_path / "absolute.xlsx", parts={"xl/_rels/workbook.xml.rels": rels})) == []
    sheet_rels = (f'{DECL}<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{R}/comments" '
                  'Target="../comments1.xml"/></Relationships>')  # relative to xl/worksheets/
    problem = only_problem(tiny(tmp_path / "relative.xlsx", parts={"xl/worksheets/_rels/sheet1.xml.rels": sheet_rels}))
    assert problem.startswith("xl/worksheets/_rels/sheet1.xml.rels: ") and "(xl/comments1.xml)" in problem


def test_part_without_content_type_is_caught(tmp_path):
    problem = only_problem(tiny(tmp_path / "untyped.xlsx", parts={"xl/media/image1.png": b"\x89PNG"}))
    assert problem.startswith("xl/media/image1.png: ") and "no content type" in problem


def test_override_for_a_missing_part_is_caught(tmp_path):
    types = TYPES.replace("</Types>", '<Override PartName="/xl/worksheets/sheet2.xml" '
                          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    problem = only_problem(tiny(tmp_path / "override.xlsx", parts={"[Content_Types].xml": types}))
    assert problem.startswith("[Content_Types].xml: Override for /xl/worksheets/sheet2.xml")


def test_undeclared_ignorable_prefix_is_caught(tmp_path):
    sheet = SHEET.replace("<worksheet ", f'<worksheet xmlns:mc="{MC}" mc:Ignorable="x14ac" ')
    problem = only_problem(tiny(tmp_path / "ignorable.xlsx", parts={"xl/worksheets/sheet1.xml": sheet}))
    assert problem.startswith("xl/worksheets/sheet1.xml: <worksheet> mc:Ignorable") and "'x14ac'" in problem
    # declared further down is not in scope where mc:Ignorable stands
    sheet = sheet.replace("<sheetData>", f'<sheetData xmlns:x14ac="{X14AC}">')
    problem = only_problem(tiny(tmp_path / "below.xlsx", parts={"xl/worksheets/sheet1.xml": sheet}))
    assert problem.startswith("xl/worksheets/sheet1.xml: ") and "'x14ac'" in problem
    # declared on the element itself: sound
    sheet = SHEET.replace("<worksheet ", f'<worksheet xmlns:mc="{MC}" mc:Ignorable="x14ac" xmlns:x14ac="{X14AC}" ')
    assert package_problems(tiny(tmp_path / "declared.xlsx", parts={"xl/worksheets/sheet1.xml": sheet})) == []


def test_undeclared_choice_requirement_is_caught(tmp_path):
    book = BOOK.replace("<sheets>", f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x15">'
                        '<x15ac:absPath url="" xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/>'
                        '</mc:Choice></mc:AlternateContent><sheets>')
    problem = only_problem(tiny(tmp_path / "choice.xlsx", parts={"xl/workbook.xml": book}))
    assert problem.startswith("xl/workbook.xml: <Choice> Requires") and "'x15'" in problem


def test_sheet_list_problems_are_caught(tmp_path):
    def book(sheets: str) -> dict:
        rels = BOOK_RELS.replace("</Relationships>", f'<Relationship Id="rId2" Type="{WORKSHEET}" '
                                 'Target="worksheets/sheet1.xml"/></Relationships>')
        return {"xl/workbook.xml": BOOK.replace('<sheet name="数据" sheetId="1" r:id="rId1"/>', sheets),
                "xl/_rels/workbook.xml.rels": rels}

    cases = {
        '<sheet name="数据" sheetId="1" r:id="rId1"/><sheet name="数据" sheetId="2" r:id="rId2"/>': "named '数据'",
        '<sheet name="数据" sheetId="1" r:id="rId1"/><sheet name="得分" sheetId="1" r:id="rId2"/>': "sheetId '1'",
        '<sheet name="数据" sheetId="1" r:id="rId7"/>': "r:id 'rId7'",
        '<sheet name="数据" sheetId="1"/>': "has no r:id",
        '<sheet name="数据" sheetId="1" state="hidden" r:id="rId1"/>': "no visible sheet",
        '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets><definedNames><definedName name="x" '
        'localSheetId="1">数据!$A$1</definedName></definedNames><sheets>': "localSheetId 1",
    }
    for i, (sheets, fragment) in enumerate(cases.items()):
        problem = only_problem(tiny(tmp_path / f"sheets{i}.xlsx", parts=book(sheets)))
        assert problem.startswith("xl/workbook.xml: ") and fragment in problem, (sheets, problem)


def test_rels_of_a_missing_part_and_duplicate_ids_are_caught(tmp_path):
    orphan = (f'{DECL}<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{R}/worksheet" '
              'Target="../workbook.xml"/></Relationships>')
    problem = only_problem(tiny(tmp_path / "orphan.xlsx", parts={"xl/worksheets/_rels/sheet7.xml.rels": orphan}))
    assert problem.startswith("xl/worksheets/_rels/sheet7.xml.rels: ") and "xl/worksheets/sheet7.xml" in problem
    rels = BOOK_RELS.replace("</Relationships>", f'<Relationship Id="rId1" Type="{WORKSHEET}" '
                             'Target="worksheets/sheet1.xml"/></Relationships>')
    problem = only_problem(tiny(tmp_path / "twice.xlsx", parts={"xl/_rels/workbook.xml.rels": rels}))
    assert problem.startswith("xl/_rels/workbook.xml.rels: ") and "'rId1' is used twice" in problem


def test_every_problem_is_listed_at_once(tmp_path):
    sheet = SHEET.replace("<worksheet ", f'<worksheet xmlns:mc="{MC}" mc:Ignorable="x14ac" ')
    path = tiny(tmp_path / "many.xlsx", parts={"xl/worksheets/sheet1.xml": sheet, "xl/media/a.png": b"",
                                              "xl/_rels/workbook.xml.rels": BOOK_RELS.replace("sheet1", "sheet3")})
    with pytest.raises(AssertionError) as info:
        assert_sound_package(path)
    text = str(info.value)
    for part in ("xl/worksheets/sheet1.xml: ", "xl/media/a.png: ", "xl/_rels/workbook.xml.rels: "):
        assert "\n  " + part in text, text


def test_legacy_vml_that_is_not_xml_is_tolerated_but_broken_xml_vml_is_not(tmp_path):
    types = TYPES.replace("</Types>", '<Default Extension="vml" '
                          'ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/></Types>')
    legacy = b'<xml xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><div>line<br>next</div></v:shape></xml>'
    assert package_problems(tiny(tmp_path / "vml.xlsx", parts={"[Content_Types].xml": types,
                                                              "xl/drawings/vmlDrawing1.vml": legacy})) == []
    unbound = b'<xml><v:shape id="x"/></xml>'  # XML, but its prefix is never declared
    problem = only_problem(tiny(tmp_path / "vml2.xlsx", parts={"[Content_Types].xml": types,
                                                              "xl/drawings/vmlDrawing1.vml": unbound}))
    assert problem.startswith("xl/drawings/vmlDrawing1.vml: ") and "unbound prefix" in problem


def test_not_a_zip_is_a_problem(tmp_path):
    path = tmp_path / "text.xlsx"
    path.write_text("工号,姓名\n")
    assert "not a zip file" in only_problem(path)


# ---------------------------------------------------------------- with LibreOffice

def test_libreoffice_reads_the_cells_of_a_sound_package(tmp_path):
    path = tiny(tmp_path / "good.xlsx")
    converted = assert_sound_package(path, libreoffice=True, cells={"数据": {"A1": 42, "B1": "合计"}})
    assert converted is not None and converted.exists()
    assert assert_sound_package(path, cells={"数据": {"A1": 42.0}}) == converted  # one conversion per content
    with pytest.raises(AssertionError, match=r"LibreOffice: 数据!A1 is 42, expected 41\b"):
        assert_sound_package(path, cells={"数据": {"A1": 41}})
    with pytest.raises(AssertionError, match=r"LibreOffice: no sheet '得分'"):
        assert_sound_package(path, cells={"得分": {"A1": 42}})


def test_libreoffice_refusing_the_file_fails(tmp_path):
    book = BOOK.replace(f' xmlns:r="{R}"', "")  # r:id unbound: LibreOffice cannot load the workbook
    path = tiny(tmp_path / "unbound.xlsx", parts={"xl/workbook.xml": book})
    with pytest.raises(AssertionError) as info:
        assert_sound_package(path, libreoffice=True)
    assert "xl/workbook.xml: not namespace-well-formed" in str(info.value)
    assert "LibreOffice could not load" in str(info.value)
