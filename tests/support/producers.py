"""The filled sample workbook as other producers write it, built at test time (nothing binary is
committed). Each builder returns the path of a workbook that `kpi compute` must handle like the
plain sample: same scores, a sound package, the user's parts byte-identical.

* ``openpyxl_sample(outdir, lxml=False|True)``: openpyxl writes differently with lxml installed
  (it picks at import, ``openpyxl.xml.LXML``): ``xmlns:r`` on every ``<sheet>`` instead of on the
  root. The other form is made in a subprocess with ``OPENPYXL_LXML`` set; without lxml the lxml
  form is skipped.
* ``libreoffice_resave(sample, outdir)``: ``soffice --convert-to xlsx``: LibreOffice rewrites every
  part in its own dialect (shared strings, its own rels and ids, ``_kpi_meta`` only "hidden").
* ``xlsxwriter_rebuild(sample, outdir)``: every sheet's values written again by XlsxWriter.
* ``excel_style(sample, outdir)``: the parts rewritten as Excel (365) writes them: ``mc:Ignorable``
  with its prefixes declared on the roots, ``fileVersion``, ``mc:AlternateContent``/``x15ac:absPath``,
  ``xr:revisionPtr``, ``xr:uid``, ``x14ac:dyDescent``, ``x14ac:knownFonts``, style extensions,
  shared strings, rels as ``Id Type Target`` with relative targets, CRLF after the declaration.
* ``prefixed_main(sample, outdir)``: the SpreadsheetML parts with the main namespace prefixed
  (``<x:workbook xmlns:x=…>``, ``<x:sheet …>``) and relationship ids like ``R3f9c…``, as the .NET
  Open XML SDK writes them.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
X15 = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"
X15AC = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"
X16R2 = "http://schemas.microsoft.com/office/spreadsheetml/2015/02/main"
XR = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
XR2 = "http://schemas.microsoft.com/office/spreadsheetml/2015/revision2"
XR3 = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision3"
XR6 = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision6"
XR10 = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision10"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
EXCEL_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

# the workbook.xml root as Excel 365 writes it: every input declaration the output must keep
EXCEL_WORKBOOK_ROOT = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{R}" xmlns:mc="{MC}" mc:Ignorable="x15 xr xr6 xr10 xr2" '
    f'xmlns:x15="{X15}" xmlns:xr="{XR}" xmlns:xr6="{XR6}" xmlns:xr10="{XR10}" xmlns:xr2="{XR2}">')
EXCEL_WORKSHEET_ROOT = (
    f'<worksheet xmlns="{MAIN}" xmlns:r="{R}" xmlns:mc="{MC}" mc:Ignorable="x14ac xr xr2 xr3" '
    f'xmlns:x14ac="{X14AC}" xmlns:xr="{XR}" xmlns:xr2="{XR2}" xmlns:xr3="{XR3}" xr:uid="{{uid}}">')


# ---------------------------------------------------------------- zip helpers

def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path: Path, parts: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def rels_name(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def relative_target(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def _resolve(source: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
        posixpath.join(posixpath.dirname(source), target))


# ---------------------------------------------------------------- openpyxl, without and with lxml

def lxml_importable() -> bool:
    try:
        import lxml.etree  # noqa: F401
    except ImportError:
        return False
    return True


_BUILD = ("import sys\nfrom pathlib import Path\nimport openpyxl.xml\n"
          "from kpi_workbook.commands.demo import build_sample_workbook\n"
          "assert openpyxl.xml.LXML == (sys.argv[2] == 'True'), 'openpyxl.xml.LXML is %s' % openpyxl.xml.LXML\n"
          "print(build_sample_workbook(Path(sys.argv[1])))\n")


def openpyxl_sample(outdir: Path, *, lxml: bool) -> Path:
    """The filled sample workbook as `kpi new` + `kpi fill` write it with openpyxl, with or without lxml."""
    import openpyxl.xml

    if lxml and not lxml_importable():
        pytest.skip("lxml is not installed in this environment, so openpyxl's lxml form cannot be made here; "
                    "make test-lxml (CI runs it) covers it")
    outdir.mkdir(parents=True, exist_ok=True)
    if openpyxl.xml.LXML == lxml:  # this process writes that form: the session's sample workbook
        from .workbooks import sample_workbook

        return sample_workbook(outdir)
    env = {**os.environ, "OPENPYXL_LXML": "True" if lxml else "False"}
    proc = subprocess.run([sys.executable, "-c", _BUILD, str(outdir), str(lxml)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- LibreOffice

def libreoffice_resave(sample: Path, outdir: Path) -> Path:
    """The sample opened and saved as .xlsx by LibreOffice (headless, private profile)."""
    from .lo import convert

    return convert(sample, outdir)


# ---------------------------------------------------------------- XlsxWriter

def xlsxwriter_rebuild(sample: Path, outdir: Path) -> Path:
    """Every sheet of the sample with its values (typed as read), written by XlsxWriter; sheet states kept."""
    import datetime as dt

    import xlsxwriter
    from openpyxl import load_workbook

    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / sample.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = load_workbook(sample)
    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for ws_src in src.worksheets:
        ws = wb.add_worksheet(ws_src.title)
        for r, row in enumerate(ws_src.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif isinstance(value, (dt.datetime, dt.date)):
                    ws.write_datetime(r, c, value, date)
                else:  # text, never a formula, even when it starts with "="
                    ws.write_string(r, c, str(value))
        if ws_src.sheet_state == "hidden":
            ws.hide()
        elif ws_src.sheet_state == "veryHidden":
            ws.very_hidden()
    wb.close()
    return path


# ---------------------------------------------------------------- Excel

def _uid(kind: int, i: int) -> str:
    return f"{{00000000-{kind:04X}-0000-{i:04X}-000000000000}}"


def _excel_rels(source: str, data: bytes) -> str:
    """Relationships as Excel writes them: Id, Type, Target, with targets relative to the source part."""
    out = []
    for rel in ElementTree.fromstring(data):
        target = rel.get("Target")
        if rel.get("TargetMode") == "External":
            out.append(f'<Relationship Id="{rel.get("Id")}" Type="{rel.get("Type")}" '
                       f'Target="{html.escape(target)}" TargetMode="External"/>')
            continue
        target = relative_target(source, _resolve(source, target))
        out.append(f'<Relationship Id="{rel.get("Id")}" Type="{rel.get("Type")}" Target="{html.escape(target)}"/>')
    return f'{EXCEL_DECL}<Relationships xmlns="{PKG_RELS}">{"".join(out)}</Relationships>'


def excel_style(sample: Path, outdir: Path) -> Path:
    """The openpyxl sample, its parts rewritten the way Excel writes them (see the module doc)."""
    outdir.mkdir(parents=True, exist_ok=True)
    parts = members(sample)
    book_xml = ElementTree.fromstring(parts["xl/workbook.xml"])
    ns = {"m": MAIN}
    sheets = book_xml.findall("m:sheets/m:sheet", ns)
    view = book_xml.find("m:bookViews/m:workbookView", ns)
    active = int(view.get("activeTab", "0")) if view is not None else 0
    book_rels = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target"))
                 for r in ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])}

    # shared strings: Excel never writes inline strings
    strings: dict[tuple[str, str], int] = {}  # (xml:space attribute or "", escaped text) -> index

    def shared(m: re.Match[str]) -> str:
        index = strings.setdefault((m[2] or "", m[3]), len(strings))
        return f'<c {m[1]} t="s"><v>{index}</v></c>'

    for i, sheet in enumerate(sheets):
        part = book_rels[sheet.get(f"{{{R}}}id")]
        text = parts[part].decode("utf-8")
        text = re.sub(r'<c ([^>]*?) t="inlineStr"><is><t( xml:space="preserve")?>(.*?)</t></is></c>', shared, text,
                      flags=re.S)
        # an empty text cell, closed either way (<c …/> or, as lxml writes it, <c …></c>): Excel keeps it blank
        text = re.sub(r'<c ([^>]*?) t="inlineStr"\s*(?:/>|></c>)', r"<c \1/>", text)
        assert "inlineStr" not in text, part
        text = re.sub(r"\s+/>", "/>", text)
        text = re.sub(r'\s+xmlns:r="[^"]*"', "", text)  # declared once, on the root
        text = re.sub(r"<worksheet[^>]*>", EXCEL_WORKSHEET_ROOT.replace("{uid}", _uid(1, i)[1:-1]), text, count=1)
        text = re.sub(r"<sheetFormatPr([^>]*?)/>", r'<sheetFormatPr\1 x14ac:dyDescent="0.25"/>', text, count=1)
        text = re.sub(r"<row ([^>]*?)(/?)>", r'<row \1 x14ac:dyDescent="0.25"\2>', text)
        if i == active:
            text = text.replace('<sheetView workbookViewId="0"', '<sheetView tabSelected="1" workbookViewId="0"', 1)
        parts[part] = (EXCEL_DECL + text).encode("utf-8")
    items = "".join(f"<si><t{space}>{text}</t></si>" for space, text in strings)
    sst = f'{EXCEL_DECL}<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    parts["xl/sharedStrings.xml"] = sst.encode("utf-8")

    # workbook.xml as Excel 365 writes it
    names = book_xml.find("m:definedNames", ns)
    defined = ""
    if names is not None:
        defined = "<definedNames>" + "".join(
            f'<definedName name="{html.escape(d.get("name"))}"'
            + (f' localSheetId="{d.get("localSheetId")}"' if d.get("localSheetId") is not None else "")
            + (' hidden="1"' if d.get("hidden") in ("1", "true") else "")
            + f">{html.escape(d.text or '', quote=False)}</definedName>" for d in names) + "</definedNames>"
    sheet_list = "".join(
        f'<sheet name="{html.escape(s.get("name"))}" sheetId="{s.get("sheetId")}"'
        + (f' state="{s.get("state")}"' if s.get("state", "visible") != "visible" else "")
        + f' r:id="{s.get(f"{{{R}}}id")}"/>' for s in sheets)
    parts["xl/workbook.xml"] = (
        EXCEL_DECL + EXCEL_WORKBOOK_ROOT
        + '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="28527"/>'
        + '<workbookPr defaultThemeVersion="202300"/>'
        + f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x15"><x15ac:absPath '
        + f'url="C:\\Users\\hr\\Documents\\考核\\" xmlns:x15ac="{X15AC}"/></mc:Choice></mc:AlternateContent>'
        + '<xr:revisionPtr revIDLastSave="0" documentId="8_{6F1A3B2C-4D5E-4F60-8A71-92B3C4D5E6F7}" '
        + 'xr6:coauthVersionLast="47" xr6:coauthVersionMax="47" xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/>'
        + '<bookViews><workbookView xWindow="-120" yWindow="-120" windowWidth="29040" windowHeight="15720" '
        + (f'activeTab="{active}" ' if active else "") + f'xr2:uid="{_uid(0xD, 0)}"/></bookViews>'
        + f"<sheets>{sheet_list}</sheets>{defined}"
        + '<calcPr calcId="191029"/>'
        + f'<extLst><ext uri="{{140A7094-0E35-4892-8432-C4D2E57EDEB5}}" xmlns:x15="{X15}">'
        + '<x15:workbookPr chartTrackingRefBase="1"/></ext>'
        + '<ext uri="{B58B0392-4F1F-4190-BB64-5DF3571DCE5F}" '
        + 'xmlns:xcalcf="http://schemas.microsoft.com/office/spreadsheetml/2018/calcfeatures"><xcalcf:calcFeatures>'
        + '<xcalcf:feature name="microsoft.com:RD"/><xcalcf:feature name="microsoft.com:Single"/>'
        + '<xcalcf:feature name="microsoft.com:FV"/><xcalcf:feature name="microsoft.com:CNMTM"/>'
        + '<xcalcf:feature name="microsoft.com:LET_WF"/></xcalcf:calcFeatures></ext></extLst></workbook>'
    ).encode("utf-8")

    # styles.xml: mc:Ignorable on the root, knownFonts, the slicer and timeline style extensions
    styles = parts["xl/styles.xml"].decode("utf-8")
    styles = re.sub(r"\s+/>", "/>", styles)
    styles = re.sub(r"<styleSheet[^>]*>", f'<styleSheet xmlns="{MAIN}" xmlns:mc="{MC}" mc:Ignorable="x14ac x16r2 xr" '
                    f'xmlns:x14ac="{X14AC}" xmlns:x16r2="{X16R2}" xmlns:xr="{XR}">', styles, count=1)
    styles = re.sub(r'<fonts count="(\d+)">', r'<fonts count="\1" x14ac:knownFonts="1">', styles, count=1)
    assert "<extLst>" not in styles
    styles = styles.replace("</styleSheet>", (
        '<extLst><ext uri="{EB79DEF2-80B8-43e5-95BD-54CBDDF9020C}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:slicerStyles defaultSlicerStyle="SlicerStyleLight1"/></ext>'
        f'<ext uri="{{9260A510-F301-46a8-8635-F512D64BE5F5}}" xmlns:x15="{X15}">'
        '<x15:timelineStyles defaultTimelineStyle="TimeSlicerStyleLight1"/></ext></extLst></styleSheet>'))
    parts["xl/styles.xml"] = (EXCEL_DECL + styles).encode("utf-8")

    # comments: mc:Ignorable="xr" and an xr:uid per comment
    for name in [n for n in parts if n.startswith("xl/comments/")]:
        text = re.sub(r"\s+/>", "/>", parts[name].decode("utf-8"))
        text = re.sub(r"<comments[^>]*>", f'<comments xmlns="{MAIN}" xmlns:mc="{MC}" mc:Ignorable="xr" '
                      f'xmlns:xr="{XR}">', text, count=1)
        pieces = re.split(r'(<comment [^>]*?shapeId="0")>', text)
        text = "".join(piece if k % 2 == 0 else f'{piece} xr:uid="{_uid(2, k // 2)}">' for k, piece in enumerate(pieces))
        parts[name] = (EXCEL_DECL + text).encode("utf-8")

    # rels, with the shared strings added to the workbook's
    for name in [n for n in parts if n.endswith(".rels")]:
        source = posixpath.join(posixpath.dirname(posixpath.dirname(name)), posixpath.basename(name)[:-5])
        parts[name] = _excel_rels(source, parts[name]).encode("utf-8")
    ids = [int(m) for m in re.findall(r'Id="rId(\d+)"', parts["xl/_rels/workbook.xml.rels"].decode())]
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", (f'<Relationship Id="rId{max(ids) + 1}" Type="{R}/sharedStrings" '
                              'Target="sharedStrings.xml"/></Relationships>').encode())

    # content types: Defaults first, then Overrides (Excel's order), shared strings added
    types = ElementTree.fromstring(parts["[Content_Types].xml"])
    defaults = [f'<Default Extension="{d.get("Extension")}" ContentType="{d.get("ContentType")}"/>'
                for d in types if d.tag == f"{{{CT}}}Default"]
    overrides = [f'<Override PartName="{o.get("PartName")}" ContentType="{o.get("ContentType")}"/>'
                 for o in types if o.tag == f"{{{CT}}}Override"]
    overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/>')
    parts["[Content_Types].xml"] = (f'{EXCEL_DECL}<Types xmlns="{CT}">{"".join(sorted(defaults))}'
                                    f'{"".join(overrides)}</Types>').encode()

    titles = "".join(f"<vt:lpstr>{html.escape(s.get('name'))}</vt:lpstr>" for s in sheets)
    parts["docProps/app.xml"] = (
        f'{EXCEL_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel'
        '</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" '
        f'baseType="variant"><vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(sheets)}'
        f'</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="{len(sheets)}" '
        f'baseType="lpstr">{titles}</vt:vector></TitlesOfParts><LinksUpToDate>false</LinksUpToDate><SharedDoc>false'
        '</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0300</AppVersion></Properties>'
    ).encode()
    return write_zip(outdir / sample.name, parts)


# ---------------------------------------------------------------- .NET Open XML SDK: prefixed main namespace

def _prefix_main(text: str) -> str:
    """Every unprefixed element of a part whose default namespace is SpreadsheetML main gets ``x:``."""
    assert text.count('xmlns="') == 1 and f'xmlns="{MAIN}"' in text, "one default namespace, the main one"
    text = re.sub(r"<(/?)(?![?!])(?![\w.-]+:)([\w.-]+)", r"<\1x:\2", text)
    return text.replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}"', 1)


def prefixed_main(sample: Path, outdir: Path) -> Path:
    """The openpyxl sample with every SpreadsheetML part's main namespace prefixed ``x:`` and the
    workbook's relationship ids as the Open XML SDK makes them (``R`` + 16 hex digits)."""
    outdir.mkdir(parents=True, exist_ok=True)
    parts = members(sample)
    decl = '<?xml version="1.0" encoding="utf-8"?>'
    for name, data in list(parts.items()):
        text = data.decode("utf-8") if name.endswith((".xml", ".rels")) else None
        if text is not None and f'xmlns="{MAIN}"' in text:
            parts[name] = (decl + _prefix_main(text)).encode("utf-8")
    book, rels = parts["xl/workbook.xml"].decode(), parts["xl/_rels/workbook.xml.rels"].decode()
    for old in re.findall(r'Id="(rId\d+)"', rels):
        new = f"R{int(old[3:]) * 0x9E3779B97F4A7C15 % (1 << 64):016x}"
        rels = rels.replace(f'Id="{old}"', f'Id="{new}"')
        book = book.replace(f'r:id="{old}"', f'r:id="{new}"')
    parts["xl/workbook.xml"], parts["xl/_rels/workbook.xml.rels"] = book.encode(), rels.encode()
    return write_zip(outdir / sample.name, parts)
